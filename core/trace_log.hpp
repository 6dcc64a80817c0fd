#pragma once
// Every op one worker's pump completed, as a phase with `trace` writes it down: when it was
// submitted (since the phase's time zero), how long it took, what it was and what came back. One
// log per worker (no locks), fed by the worker's Recorder; the runner merges them into a trace file
// (workloads/formats/trace_file.hpp).
//
// A log holds at most `max_ops` ops; later ones are counted as dropped (the file then says the
// trace is truncated), so a long phase cannot exhaust memory through its trace.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aistor {

// One op, as it is stored in memory and (little-endian, 48 bytes) in a trace file.
struct TraceOp {
  std::uint64_t start_ns = 0;    // submitted, since the phase's time zero (or the trace's first op)
  std::uint64_t latency_ns = 0;  // 0 where the trace did not record it (an imported one)
  std::uint64_t offset = 0;
  std::int64_t result = 0;  // bytes transferred or -errno
  std::uint32_t length = 0;
  std::uint32_t file = 0;    // index into the trace's file names
  std::uint32_t stream = 0;  // the worker (or process, thread) that issued it
  std::uint8_t op = 0;       // kTraceRead, kTraceWrite or kTraceSync
  std::uint8_t reserved[3]{};
};
static_assert(sizeof(TraceOp) == 48);

inline constexpr std::uint8_t kTraceRead = 0;
inline constexpr std::uint8_t kTraceWrite = 1;
inline constexpr std::uint8_t kTraceSync = 2;  // fsync of the file: offset and length 0

class TraceLog {
 public:
  TraceLog(std::uint32_t stream, std::uint64_t origin_ns, std::size_t max_ops);

  // Names an engine file id from now on (ids are reused after a close).
  void name_file(std::uint32_t id, std::string_view name);
  // `issued`: the op's place in the worker's issue order (0 where unknown: a sync).
  void add(std::uint8_t op, std::uint32_t id, std::uint64_t offset, std::uint32_t length,
           std::int64_t result, std::uint64_t submit_ns, std::uint64_t done_ns,
           std::uint64_t issued = 0);

  // In completion order.
  [[nodiscard]] const std::vector<TraceOp>& ops() const noexcept { return ops_; }
  // In issue order: by submit time, ops submitted together in the order they were issued.
  [[nodiscard]] std::vector<TraceOp> issue_order() const;
  // Indexed by TraceOp::file.
  [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  std::uint32_t intern(std::string_view name);

  std::uint32_t stream_;
  std::uint64_t origin_ns_;
  std::size_t max_ops_;
  std::vector<TraceOp> ops_;
  std::vector<std::uint64_t> issued_;  // beside ops_
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<std::uint32_t> current_;  // engine file id -> name index; UINT32_MAX: unnamed
  std::uint64_t dropped_ = 0;
};

}  // namespace aistor
