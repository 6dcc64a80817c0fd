// TFRecord: the streaming reader (plain, GZIP, ZLIB; every CRC checked), fed in two pieces split
// where the input says, and the whole-file scan and index of the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/formats/tfrecord_stream.hpp"

namespace fmt_ns = aistor::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto mode = static_cast<fmt_ns::TfCompression>(data[0] % 3);
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  std::uint64_t payload = 0;
  try {
    fmt_ns::TfRecordStreamParser parser(mode, "fuzz.tfrecord", true);
    const std::size_t cut = (data[0] / 3u) % (bytes.size() + 1);
    auto on_record = [&](std::uint64_t, std::uint64_t, std::span<const std::byte> p) {
      payload += p.size();
    };
    parser.push(bytes.first(cut), on_record);
    parser.push(bytes.subspan(cut), on_record);
    parser.finish();
  } catch (const aistor::InputError&) {
  }
  const auto file = aistor::fuzz::as_file(data + 1, size - 1);
  try {
    (void)fmt_ns::scan_tfrecord(file, true);
  } catch (const aistor::InputError&) {
  }
  try {
    (void)fmt_ns::index_tfrecord(file, 0, true);
  } catch (const aistor::InputError&) {
  }
  return 0;
}
