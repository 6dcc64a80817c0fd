#include "engines/registry.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "engines/fault_engine.hpp"
#include "engines/mmap_engine.hpp"
#include "engines/pread_engine.hpp"

namespace aistor {
namespace {

// An engine that is listed, with what it is called and takes, before the part of the build that
// makes it provides it (cuda/ the GPU engines, engines/io_uring_registration.cpp io_uring). Where
// that part is not linked it stays so: listed, unavailable, with the reason.
EngineInfo unavailable(std::string name, std::string summary, std::vector<std::string> options,
                       bool synchronous, std::string why) {
  EngineInfo info{
      std::move(name), std::move(summary), std::move(options), synchronous, {}, {}, false};
  info.probe = [why](const std::filesystem::path&) { return Availability{false, why}; };
  info.make = [n = info.name, why](const EngineConfig&) -> std::unique_ptr<Engine> {
    throw InputError(fmt::format("engine {}: {}", n, why));
  };
  return info;
}

EngineInfo gpu_placeholder(std::string name, std::string summary, std::vector<std::string> options,
                           bool synchronous) {
  EngineInfo info =
      unavailable(std::move(name), std::move(summary), std::move(options), synchronous,
                  "built without CUDA (no nvcc found at configure time)");
  info.device_memory = true;
  return info;
}

std::vector<EngineInfo>& registry() {
  static std::vector<EngineInfo> all{
      pread_engine_info(),
      odirect_engine_info(),
      mmap_engine_info(),
      unavailable("io_uring", std::string(kIoUringSummary), io_uring_engine_options(), false,
                  "built without the io_uring engine (liburing)"),
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

std::vector<std::string> io_uring_engine_options() {
  return {"queue_depth",      "direct",       "sqpoll",  "fixed_buffers",
          "registered_files", "submit_batch", "fadvise", "huge_pages"};
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
