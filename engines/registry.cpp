#include "engines/registry.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "engines/fault_engine.hpp"
#include "engines/io_uring_engine.hpp"
#include "engines/mmap_engine.hpp"
#include "engines/pread_engine.hpp"
#ifdef AISTOR_HAVE_CUDA
#include "cuda/gpu_engine.hpp"
#endif

namespace aistor {
namespace {

// The host engine a GPU engine reads through: as many requests in flight as it has staging
// buffers (one for the synchronous engines).
[[maybe_unused]] EngineConfig host_config(const EngineConfig& gpu) {
  EngineConfig host;
  host.name = gpu.host_engine;
  host.queue_depth = gpu.host_engine == "io_uring" ? gpu.staging_buffers : 1;
  host.direct = gpu.direct || gpu.host_engine == "odirect";
  host.fadvise = gpu.fadvise;
  host.huge_pages = gpu.huge_pages;
  return host;
}

EngineInfo gpu_engine_info(bool pinned) {
  EngineInfo info{
      pinned ? "gpu" : "gpu-pageable",
      pinned ? "storage → pinned staging → GPU memory, reads overlapped with async copies (options "
               "host_engine, staging_buffers, staging_size, streams, gpus, verify)"
             : "the naive loader: storage → pageable buffer → synchronous cudaMemcpy to the GPU",
      {"queue_depth", "direct", "fadvise", "host_engine", "staging_buffers", "staging_size",
       "streams", "gpus", "verify", "huge_pages"},
      false,
      {},
      {},
      true};
#ifdef AISTOR_HAVE_CUDA
  info.probe = [](const std::filesystem::path&) {
    std::string why;
    if (!cuda::gpu_present(0, why)) return Availability{false, why};
    return Availability{true, ""};
  };
  info.make = [pinned](const EngineConfig& c) -> std::unique_ptr<Engine> {
    for (int g : c.gpus) {
      std::string why;
      if (!cuda::gpu_present(g, why)) throw InputError(fmt::format("engine {}: {}", c.name, why));
    }
    if (c.host_engine == "mmap") return cuda::make_gpu_mapped_engine(c, pinned);
    return cuda::make_gpu_engine(c, make_engine(host_config(c)), pinned);
  };
#else
  static constexpr const char* kWhy = "built without CUDA (no nvcc found at configure time)";
  info.probe = [](const std::filesystem::path&) { return Availability{false, kWhy}; };
  info.make = [](const EngineConfig& c) -> std::unique_ptr<Engine> {
    throw InputError(fmt::format("engine {}: {}", c.name, kWhy));
  };
#endif
  return info;
}

EngineInfo gds_engine_info() {
  EngineInfo info{"gds",
                  "cuFile (GPUDirect Storage): O_DIRECT files to and from registered GPU memory, "
                  "synchronous (threads for parallelism); option gpus",
                  {"gpus"},
                  true,
                  {},
                  {},
                  true};
#ifdef AISTOR_HAVE_CUDA
  info.probe = [](const std::filesystem::path&) {
    std::string why;
    const bool ok = cuda::gds_available(why);
    return Availability{ok, why};
  };
  info.make = [](const EngineConfig& c) -> std::unique_ptr<Engine> {
    for (int g : c.gpus) {
      std::string why;
      if (!cuda::gpu_present(g, why)) throw InputError(fmt::format("engine gds: {}", why));
    }
    return cuda::make_gds_engine(c);
  };
#else
  static constexpr const char* kWhy = "built without CUDA (no nvcc found at configure time)";
  info.probe = [](const std::filesystem::path&) { return Availability{false, kWhy}; };
  info.make = [](const EngineConfig&) -> std::unique_ptr<Engine> {
    throw InputError(fmt::format("engine gds: {}", kWhy));
  };
#endif
  return info;
}

}  // namespace

const std::vector<EngineInfo>& engines() {
  static const std::vector<EngineInfo> all{
      pread_engine_info(),   odirect_engine_info(),  mmap_engine_info(), io_uring_engine_info(),
      gpu_engine_info(true), gpu_engine_info(false), gds_engine_info(),  fault_engine_info()};
  return all;
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
