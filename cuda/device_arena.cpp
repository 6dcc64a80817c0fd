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

void DeviceArena::upload(std::byte* dst, std::span<const std::byte> src) const {
  DeviceGuard guard(device_);
  check(cudaMemcpy(dst, src.data(), src.size(), cudaMemcpyHostToDevice), "cudaMemcpy", device_);
}

void DeviceArena::download(std::span<std::byte> dst, const std::byte* src) const {
  DeviceGuard guard(device_);
  check(cudaMemcpy(dst.data(), src, dst.size(), cudaMemcpyDeviceToHost), "cudaMemcpy", device_);
}

int worker_gpu(const EngineConfig& config) {
  return config.gpus.at(config.worker % config.gpus.size());
}

}  // namespace aistor::cuda
