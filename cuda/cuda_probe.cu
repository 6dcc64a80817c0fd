#include <cuda_runtime.h>

#include "cuda/cuda_probe.hpp"

namespace aistor::cuda {

Probe probe() {
  Probe out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    out.error = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.gpus.push_back(
        {i, prop.name, static_cast<unsigned long long>(prop.totalGlobalMem), prop.pciBusID});
  }
  if (out.gpus.empty()) out.error = "no CUDA device";
  return out;
}

}  // namespace aistor::cuda
