#pragma once
// A trace written out for other tools: CSV (one op a line, base units: start_ns, stream, op, file,
// offset, length, latency_ns, result), or fio's iolog version 3 (microsecond timestamps; every
// stream's ops in one log, as fio replays one job's log), which fio's read_iolog replays.
#include <iosfwd>

#include "workloads/formats/trace_file.hpp"

namespace aistor::formats {

void write_trace_csv(std::ostream& out, const Trace& trace);
void write_fio_iolog(std::ostream& out, const Trace& trace);

}  // namespace aistor::formats
