#pragma once
// CUDA failures as exceptions. Included only by files in cuda/ (it pulls in cuda_runtime.h).
//
// check(err, "cudaMemcpyAsync", device) throws GpuError("cudaMemcpyAsync (GPU 0): out of memory");
// the message is built only on failure.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace aistor::cuda {

class GpuError : public std::runtime_error {
 public:
  GpuError(cudaError_t err, const char* call, int device);
  [[nodiscard]] cudaError_t error() const noexcept { return err_; }

 private:
  cudaError_t err_;
};

inline void check(cudaError_t err, const char* call, int device) {
  if (err != cudaSuccess) throw GpuError(err, call, device);
}

}  // namespace aistor::cuda
