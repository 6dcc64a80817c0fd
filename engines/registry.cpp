#include "engines/registry.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "engines/fault_engine.hpp"
#include "engines/io_uring_engine.hpp"
#include "engines/mmap_engine.hpp"
#include "engines/pread_engine.hpp"

namespace aistor {
namespace {

// What the GPU engines are called and take, before cuda/ provides them (built without CUDA they
// stay so: listed, unavailable, with the reason).
EngineInfo gpu_placeholder(std::string name, std::string summary, std::vector<std::string> options,
                           bool synchronous) {
  static constexpr const char* kWhy = "built without CUDA (no nvcc found at configure time)";
  EngineInfo info{
      std::move(name), std::move(summary), std::move(options), synchronous, {}, {}, true};
  info.probe = [](const std::filesystem::path&) { return Availability{false, kWhy}; };
  info.make = [n = info.name](const EngineConfig&) -> std::unique_ptr<Engine> {
    throw InputError(fmt::format("engine {}: {}", n, kWhy));
  };
  return info;
}

std::vector<EngineInfo>& registry() {
  static std::vector<EngineInfo> all{
      pread_engine_info(),
      odirect_engine_info(),
      mmap_engine_info(),
      io_uring_engine_info(),
      gpu_placeholder("gpu", std::string(kGpuSummary), gpu_engine_options(), false),
      gpu_placeholder("gpu-pageable", std::string(kGpuPageableSummary), gpu_engine_options(),
                      false),
      gpu_placeholder("gds", std::string(kGdsSummary), {"gpus"}, true),
      fault_engine_info()};
  return all;
}

}  // namespace

const std::vector<EngineInfo>& engines() {
  return registry();
}

std::vector<std::string> gpu_engine_options() {
  return {"queue_depth",  "direct",  "fadvise", "host_engine", "staging_buffers",
          "staging_size", "streams", "gpus",    "verify",      "huge_pages"};
}

void provide_engine(EngineInfo info) {
  for (auto& e : registry()) {
    if (e.name == info.name) {
      e = std::move(info);
      return;
    }
  }
  registry().push_back(std::move(info));
}

const EngineInfo* find_engine(std::string_view name) {
  for (const auto& e : engines()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::unique_ptr<Engine> make_engine(const EngineConfig& config) {
  const EngineInfo* info = find_engine(config.name);
  if (info == nullptr) throw InputError(fmt::format("unknown engine \"{}\"", config.name));
  return info->make(config);
}

}  // namespace aistor
