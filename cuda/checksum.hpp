#pragma once
// checksum64 (core/checksum64.hpp) of device memory, computed on the GPU. Plain C++ header.
#include <cstddef>
#include <cstdint>

namespace aistor::cuda {

// Checksums [data, data + bytes) of device memory on `device`; waits for the result. Throws
// GpuError. `data` may have any alignment.
[[nodiscard]] std::uint64_t device_checksum64(const void* data, std::size_t bytes, int device);

}  // namespace aistor::cuda
