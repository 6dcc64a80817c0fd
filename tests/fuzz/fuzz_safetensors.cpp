// safetensors: the header (its JSON, dtypes, shapes, offsets) parsed with every check.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "workloads/formats/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto m = aistor::formats::parse_safetensors(aistor::fuzz::as_file(data, size));
    (void)aistor::formats::inspection_of(m).dump();  // what inspect --json prints
  } catch (const aistor::InputError&) {
  }
  return 0;
}
