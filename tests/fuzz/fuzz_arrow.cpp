// Arrow IPC (stream and file formats): the schema and every record batch parsed, every value of
// every binary-like leaf read, and each batch's message parsed again alone, as pack reads it.
#include <cstddef>
#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "workloads/formats/arrow_ipc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    aistor::ArrowIpcFile f(bytes, "fuzz.arrow");
    nlohmann::json names = nlohmann::json::array();  // reports carry field names
    for (const auto& field : f.schema())
      names.push_back(field.name);
    (void)names.dump();
    std::uint64_t total = 0;
    for (const auto& b : f.batches()) {
      for (const auto& leaf : b.leaves) {
        if (!leaf.binary_like()) continue;
        for (std::int64_t row = 0; row < leaf.length; ++row) {
          if (auto v = leaf.value(row)) total += v->size();
        }
      }
      if (b.message_offset + b.message_bytes <= size) {
        (void)aistor::parse_arrow_batch(bytes.subspan(b.message_offset, b.message_bytes),
                                        b.message_offset, f.schema(), "fuzz.arrow");
      }
    }
    (void)total;
  } catch (const aistor::InputError&) {
  }
  return 0;
}
