#include "workloads/formats/trace_export.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <ostream>

namespace aistor::formats {
namespace {

const char* op_name(std::uint8_t op) {
  return op == kTraceWrite ? "write" : op == kTraceSync ? "sync" : "read";
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

void write_trace_csv(std::ostream& out, const Trace& trace) {
  fmt::print(out, "start_ns,stream,op,file,offset,length,latency_ns,result\n");
  for (const auto& o : trace.ops) {
    fmt::print(out, "{},{},{},{},{},{},{},{}\n", o.start_ns, o.stream, op_name(o.op),
               csv_field(trace.files[o.file]), o.offset, o.length, o.latency_ns, o.result);
  }
}

void write_fio_iolog(std::ostream& out, const Trace& trace) {
  fmt::print(out, "fio version 3 iolog\n");
  for (const auto& f : trace.files)
    fmt::print(out, "0 {} add\n", f);
  for (const auto& f : trace.files)
    fmt::print(out, "0 {} open\n", f);
  std::uint64_t last_us = 0;
  for (const auto& o : trace.ops) {
    last_us = o.start_ns / 1000;
    fmt::print(out, "{} {} {} {} {}\n", last_us, trace.files[o.file], op_name(o.op), o.offset,
               o.length);
  }
  for (const auto& f : trace.files)
    fmt::print(out, "{} {} close\n", last_us, f);
}

}  // namespace aistor::formats
