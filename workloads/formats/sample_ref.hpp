#pragma once
// Where one sample of a dataset lives, as recorded by format indexers.
#include <cstdint>

namespace aistor::formats {

// Sample i of a dataset: `file` is the index of its file within the dataset, `offset` the byte
// offset of its payload in that file (after any framing), `length` the payload's length in bytes.
struct SampleRef {
  std::uint64_t offset;
  std::uint32_t length;
  std::uint32_t file;
};
static_assert(sizeof(SampleRef) == 16);

}  // namespace aistor::formats
