#include "cuda/device_arena.hpp"

namespace aistor::cuda {

Buffer DeviceArena::allocate(std::size_t bytes) {
  buffers_.push_back(device_alloc(bytes, device_));
  return Buffer(static_cast<std::byte*>(buffers_.back().get()), bytes,
                [](std::byte*, std::size_t) noexcept {});
}

Buffer DeviceArena::allocate_host(std::size_t bytes) const {
  DeviceGuard guard(device_);
  void* p = nullptr;
  check(cudaHostAlloc(&p, bytes, cudaHostAllocPortable), "cudaHostAlloc", device_);
  return Buffer(static_cast<std::byte*>(p), bytes,
                [](std::byte* q, std::size_t) noexcept { PinnedMemoryTag::release(q, 0); });
}

cudaStream_t DeviceArena::stream() {
  if (!stream_) stream_ = make_stream(device_);
  return stream_.get();
}

void DeviceArena::upload(std::byte* dst, std::span<const std::byte> src) {
  const std::span<const std::byte> one[] = {src};
  upload_all(dst, one);
}

void DeviceArena::upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs) {
  DeviceGuard guard(device_);
  cudaStream_t s = stream();
  for (const auto& src : srcs) {
    if (!src.empty())
      check(cudaMemcpyAsync(dst, src.data(), src.size(), cudaMemcpyHostToDevice, s),
            "cudaMemcpyAsync", device_);
  }
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize", device_);
}

void DeviceArena::download(std::span<std::byte> dst, const std::byte* src) {
  DeviceGuard guard(device_);
  cudaStream_t s = stream();
  check(cudaMemcpyAsync(dst.data(), src, dst.size(), cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync",
        device_);
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize", device_);
}

int worker_gpu(const EngineConfig& config) {
  return config.gpus.at(config.worker % config.gpus.size());
}

}  // namespace aistor::cuda
