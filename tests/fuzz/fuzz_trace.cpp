// Trace files: aistor's own, fio iologs, blkparse text and MLPerf KV-cache CSV, each reader and
// the format detection fed the same hostile bytes; whatever parses is exported again.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "core/error.hpp"
#include "workloads/formats/trace_export.hpp"
#include "workloads/formats/trace_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using aistor::formats::TraceFormat;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (auto f : {TraceFormat::automatic, TraceFormat::aistor, TraceFormat::fio,
                 TraceFormat::blkparse, TraceFormat::mlperf_kv}) {
    try {
      // A small op budget: the limit itself is under test, not the machine's memory.
      const auto t = aistor::formats::parse_any_trace(bytes, "fuzz", f, 1u << 16);
      std::ostringstream out;
      aistor::formats::write_trace_csv(out, t);
      aistor::formats::write_fio_iolog(out, t);
    } catch (const aistor::InputError&) {
    }
  }
  return 0;
}
