// Vector-search index files: the graph's header and records (as inspect and a search read them)
// and the PQ file, each from the same hostile bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "workloads/formats/vector_index.hpp"
#include "workloads/formats/vector_pq.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = aistor::fuzz::as_file(data, size);
  try {
    (void)aistor::formats::inspect_vector_index(file).dump();
  } catch (const aistor::InputError&) {
  }
  try {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const auto h = aistor::formats::VectorIndexHeader::decode(bytes, "fuzz");
    for (std::uint64_t id = 0; id < h.count && id < 64; ++id) {
      if (h.read_offset(id) + h.read_bytes() > size) break;
      (void)aistor::formats::parse_record(h, id, bytes.subspan(h.read_offset(id), h.read_bytes()),
                                          "fuzz");
    }
  } catch (const aistor::InputError&) {
  }
  try {
    const auto pq = aistor::formats::PqFile::read(file);
    (void)pq.code(0);
  } catch (const aistor::InputError&) {
  }
  return 0;
}
