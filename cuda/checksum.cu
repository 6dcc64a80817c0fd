// The GPU half of checksum64: a grid-stride sum of the mixed words, reduced per warp and added
// into one 64-bit counter. Addition wraps identically on host and device, so order does not matter.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/checksum64.hpp"
#include "cuda/checksum.hpp"
#include "cuda/cuda_resources.hpp"

namespace aistor::cuda {
namespace {

__global__ void checksum_kernel(const unsigned char* data, std::size_t bytes,
                                unsigned long long* out) {
  const std::size_t words = bytes / 8;
  const bool aligned = (reinterpret_cast<std::uintptr_t>(data) % 8) == 0;
  unsigned long long sum = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < words;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    std::uint64_t w = aligned ? reinterpret_cast<const std::uint64_t*>(data)[i]
                              : checksum64_tail_word(data, i * 8, bytes);
    sum += checksum64_term(w, i);
  }
  if (blockIdx.x == 0 && threadIdx.x == 0 && bytes % 8 != 0) {
    sum += checksum64_term(checksum64_tail_word(data, words * 8, bytes), words);
  }
  for (int offset = 16; offset > 0; offset /= 2)
    sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if ((threadIdx.x % 32) == 0 && sum != 0) atomicAdd(out, sum);
}

}  // namespace

std::uint64_t device_checksum64(const void* data, std::size_t bytes, int device) {
  DeviceGuard guard(device);
  DeviceMemory result = device_alloc(sizeof(unsigned long long), device);
  check(cudaMemset(result.get(), 0, sizeof(unsigned long long)), "cudaMemset", device);
  if (bytes > 0) {
    constexpr int kThreads = 256;
    const std::size_t words = bytes / 8 + 1;
    const int blocks =
        static_cast<int>(std::min<std::size_t>((words + kThreads - 1) / kThreads, 4096));
    checksum_kernel<<<blocks, kThreads>>>(static_cast<const unsigned char*>(data), bytes,
                                          static_cast<unsigned long long*>(result.get()));
    check(cudaGetLastError(), "checksum kernel launch", device);
  }
  unsigned long long sum = 0;
  check(cudaMemcpy(&sum, result.get(), sizeof(sum), cudaMemcpyDeviceToHost), "cudaMemcpy", device);
  return sum;
}

}  // namespace aistor::cuda
