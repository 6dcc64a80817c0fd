#pragma once
// Engines by name: what is compiled in, whether it can run here (probed for real), and a factory.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engines/engine.hpp"
#include "engines/engine_config.hpp"

namespace aistor {

struct Availability {
  bool available = false;
  std::string reason;  // why not, when unavailable; a note (e.g. alignment) when available
};

struct EngineInfo {
  std::string name;
  std::string summary;
  std::vector<std::string> options;  // keys of the "engine" object this engine accepts
  bool synchronous = true;
  // Probes for real (creates a ring, opens a file with O_DIRECT in `dir`...).
  std::function<Availability(const std::filesystem::path& dir)> probe;
  std::function<std::unique_ptr<Engine>(const EngineConfig&)> make;
  // allocate() hands out GPU memory (Engine::device_memory()): only workloads that never touch
  // the bytes can use it.
  bool device_memory = false;
};

// Every engine compiled in, in a stable order.
[[nodiscard]] const std::vector<EngineInfo>& engines();
// nullptr when unknown.
[[nodiscard]] const EngineInfo* find_engine(std::string_view name);
// Throws InputError for an unknown name.
[[nodiscard]] std::unique_ptr<Engine> make_engine(const EngineConfig& config);

// The GPU engines are listed here from the start (unavailable: "built without CUDA") and provided
// by cuda/ when it is built, so engines/ never includes cuda/ (cuda/gpu_registration.cpp).
inline constexpr std::string_view kGpuSummary =
    "storage → pinned staging → GPU memory, reads overlapped with async copies (options "
    "host_engine, staging_buffers, staging_size, streams, gpus, verify)";
inline constexpr std::string_view kGpuPageableSummary =
    "the naive loader: storage → pageable buffer → synchronous cudaMemcpy to the GPU";
inline constexpr std::string_view kGdsSummary =
    "cuFile (GPUDirect Storage): O_DIRECT files to and from registered GPU memory, synchronous "
    "(threads for parallelism); option gpus";
[[nodiscard]] std::vector<std::string> gpu_engine_options();

// io_uring is listed the same way and provided by engines/io_uring_registration.cpp, so what does
// not run engines (the config fuzz target) validates io_uring's options without linking liburing.
inline constexpr std::string_view kIoUringSummary =
    "asynchronous reads and writes through liburing; queue_depth in flight per worker";
[[nodiscard]] std::vector<std::string> io_uring_engine_options();

// Replaces the entry of the same name, or adds one. Called during static initialisation (cuda/
// providing the GPU engines); not thread-safe, and never once lookups have begun.
void provide_engine(EngineInfo info);

}  // namespace aistor
