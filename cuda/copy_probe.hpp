#pragma once
// The host↔device copy ceilings of this machine, measured: what `aistor probe gpu` prints and
// what GPU phases report their throughput against. Plain C++ header.
#include <cstddef>
#include <vector>

namespace aistor::cuda {

struct CopyRate {
  std::size_t chunk = 0;  // bytes per cudaMemcpy(Async)
  bool pinned = false;    // page-locked host memory, else pageable (malloc'd, pre-faulted)
  bool to_device = true;  // host→device, else device→host
  double bytes_per_s = 0;
};

// Copies `total` bytes per point in `chunk`-sized copies (async on one stream for pinned memory,
// synchronous cudaMemcpy for pageable), after one untimed pass; the median of three timed passes.
// Throws GpuError.
[[nodiscard]] std::vector<CopyRate> probe_copies(int device, const std::vector<std::size_t>& chunks,
                                                 std::size_t total);

// One point, measured once per process and remembered (thread-safe).
[[nodiscard]] double copy_ceiling(int device, std::size_t chunk, bool pinned, bool to_device);

}  // namespace aistor::cuda
