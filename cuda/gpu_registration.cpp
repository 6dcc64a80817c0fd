// Provides the GPU engines to the engine registry (engines/registry.hpp), which lists them as
// unavailable until this file is linked in: engines/ never includes cuda/. Linked into every
// program as an object file of its own (cuda/CMakeLists.txt), so the registration always runs.
#include <fmt/format.h>

#include "core/error.hpp"
#include "cuda/gpu_engine.hpp"
#include "engines/registry.hpp"

namespace aistor {
namespace {

// The host engine a GPU engine reads through: as many requests in flight as it has staging
// buffers (one for the synchronous engines).
EngineConfig host_config(const EngineConfig& gpu) {
  EngineConfig host;
  host.name = gpu.host_engine;
  host.queue_depth = gpu.host_engine == "io_uring" ? gpu.staging_buffers : 1;
  host.direct = gpu.direct || gpu.host_engine == "odirect";
  host.fadvise = gpu.fadvise;
  host.huge_pages = gpu.huge_pages;
  return host;
}

EngineInfo gpu_engine_info(bool pinned) {
  EngineInfo info{pinned ? "gpu" : "gpu-pageable",
                  std::string(pinned ? kGpuSummary : kGpuPageableSummary),
                  gpu_engine_options(),
                  false,
                  {},
                  {},
                  true};
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
  return info;
}

EngineInfo gds_engine_info() {
  EngineInfo info{"gds", std::string(kGdsSummary), {"gpus"}, true, {}, {}, true};
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
  return info;
}

[[maybe_unused]] const bool registered = [] {
  provide_engine(gpu_engine_info(true));
  provide_engine(gpu_engine_info(false));
  provide_engine(gds_engine_info());
  return true;
}();

}  // namespace
}  // namespace aistor
