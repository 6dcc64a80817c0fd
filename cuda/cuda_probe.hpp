#pragma once
// What CUDA sees on this machine, in plain C++17 (no CUDA header): the rest of the tree may
// include this. Never throws; a machine without a GPU is an answer, not an error.
#include <string>
#include <vector>

namespace aistor::cuda {

struct Gpu {
  int index = 0;
  std::string name;
  unsigned long long memory_bytes = 0;
  int pci_bus = 0;
};

struct Probe {
  std::vector<Gpu> gpus;
  std::string error;  // why there are none, e.g. "no CUDA-capable device is detected"
};

Probe probe();

}  // namespace aistor::cuda
