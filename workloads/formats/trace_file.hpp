#pragma once
// aistor's trace file: every op a phase issued (`trace` on a phase), for `aistor trace` and the
// replay workload.
//
// Layout (little-endian): a 64-byte header — "AISTORTR" | u32 version | u32 meta_bytes | u64 ops |
// u64 checksum64 of the meta text | u64 checksum64 of the ops | 24 zero bytes — then the meta text
// (JSON: the phase, workload, engine, clock, workers, file names, whether truncated), then `ops`
// records of 48 bytes (TraceOp: start_ns, latency_ns, offset, result, length, file, stream, op:
// read, write, or sync — an fsync of the file, offset and length 0).
// Ops are ordered by start time; each stream's in the order it issued them.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/trace_log.hpp"

namespace aistor::formats {

inline constexpr std::uint32_t kTraceVersion = 1;
inline constexpr std::size_t kTraceHeaderBytes = 64;
inline constexpr std::uint64_t kMaxTraceMetaBytes = 64u << 20;

struct Trace {
  std::string format;  // "aistor", "fio v2", "fio v3", "blkparse", "mlperf-kv"
  nlohmann::json meta = nlohmann::json::object();  // what the source says of itself
  std::vector<std::string> files;                  // indexed by TraceOp::file
  std::vector<TraceOp> ops;
  std::uint32_t streams = 0;  // every op's stream is below it
  std::uint64_t dropped = 0;  // ops the recording could not keep (a truncated trace)
  std::uint64_t skipped = 0;  // source lines that are no data op (sync, trim, a memory tier)
  // Ops whose latency and result the source recorded (aistor's own traces).
  bool timed_results = false;
};

// One trace from the workers' logs: file names made relative to `dir` where they lie under it,
// ops ordered by start time (stable: a stream's order kept).
[[nodiscard]] Trace merge_logs(std::span<const TraceLog* const> logs,
                               const std::filesystem::path& dir, nlohmann::json meta);

// Writes `trace` durably (temporary, fsync, rename). Throws SystemError naming the path.
void write_trace(const std::filesystem::path& path, const Trace& trace);

// Whether the bytes start like an aistor trace.
[[nodiscard]] bool is_aistor_trace(std::string_view head) noexcept;

// Reads and checks an aistor trace; InputError "<origin>: ... at byte N" when it is truncated,
// corrupt or not a trace.
[[nodiscard]] Trace parse_trace(std::string_view bytes, std::string_view origin);
[[nodiscard]] Trace read_trace(const std::filesystem::path& path);

// The whole of a file, for the trace readers; InputError when it is not a regular file or larger
// than `max_bytes` (0: a quarter of the machine's memory).
[[nodiscard]] std::string read_whole(const std::filesystem::path& path,
                                     std::uint64_t max_bytes = 0);

}  // namespace aistor::formats
