// FFRecord: the header validated before anything is allocated, then every sample read and its
// CRC checked.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "workloads/formats/ffrecord.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto f = aistor::formats::FfRecordFile::open(aistor::fuzz::as_file(data, size), 0);
    f.verify();
  } catch (const aistor::InputError&) {
  }
  return 0;
}
