#pragma once
// The GPU memory a GPU engine hands out through Engine::allocate(): owned by the arena (cudaFree
// needs the right GPU current, which a Buffer's release function cannot know), freed with it.
// Included only inside cuda/.
#include <cstddef>
#include <span>
#include <vector>

#include "cuda/cuda_resources.hpp"
#include "engines/engine.hpp"
#include "engines/engine_config.hpp"

namespace aistor::cuda {

class DeviceArena {
 public:
  explicit DeviceArena(int device) : device_(device) {}

  [[nodiscard]] int device() const noexcept { return device_; }
  // `bytes` of device memory, as a Buffer that does not free it (the arena does).
  [[nodiscard]] Buffer allocate(std::size_t bytes);
  // `bytes` of pinned host memory, freed with the Buffer (any thread may free it).
  [[nodiscard]] Buffer allocate_host(std::size_t bytes) const;
  // Synchronous host → device copy into memory from allocate().
  void upload(std::byte* dst, std::span<const std::byte> src);
  // Host → device copies of each of `srcs` into `dst`, queued back to back, waited for once.
  void upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs);
  // Synchronous device → host copy out of memory from allocate().
  void download(std::span<std::byte> dst, const std::byte* src);
  [[nodiscard]] const std::vector<DeviceMemory>& buffers() const noexcept { return buffers_; }

 private:
  // The arena's own non-blocking stream (made at the first copy): copies of one worker never wait
  // behind another's, as they would on the legacy default stream.
  cudaStream_t stream();

  int device_;
  std::vector<DeviceMemory> buffers_;
  Stream stream_;
};

// The GPU a worker's engine uses: gpus[worker % gpus.size()].
[[nodiscard]] int worker_gpu(const EngineConfig& config);

}  // namespace aistor::cuda
