#pragma once
// Shared between model_file.cpp, safetensors.cpp and gguf.cpp; not part of the interface.
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/formats/model_file.hpp"

namespace aistor::formats::detail {

// A header ready to write and where each tensor's bytes go (absolute offsets, in spec order).
struct HeaderPlan {
  std::string bytes;
  std::vector<std::uint64_t> offsets;
  std::uint64_t file_bytes = 0;
};

[[nodiscard]] HeaderPlan plan_safetensors(const std::vector<TensorSpec>& tensors,
                                          const nlohmann::json& metadata);
[[nodiscard]] HeaderPlan plan_gguf(const std::vector<TensorSpec>& tensors,
                                   const nlohmann::json& metadata);

// Sorts the tensors by offset and checks each lies in [data_offset, file_bytes) without
// overlapping the next; with `contiguous`, also that they cover the data section with no gap.
// Sets data_bytes. InputError naming the file, tensor and offset.
void check_layout(ModelFile& m, bool contiguous);

[[nodiscard]] std::uint64_t element_count(const std::vector<std::uint64_t>& shape,
                                          const std::string& where);

}  // namespace aistor::formats::detail
