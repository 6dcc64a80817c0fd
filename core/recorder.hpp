#pragma once
// What one worker saw during a phase: per-direction latency histograms and counters, the
// request-size histogram, sequentiality, a time series and errors.
//
// One Recorder per worker (no locks on the hot path); merge() after the phase. The recorder does
// not know which workload or engine it serves — it is fed completed operations.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/histogram.hpp"

namespace aistor {

enum class Direction : std::uint8_t { read = 0, write = 1 };

struct ErrorDetail {
  int err = 0;  // positive errno; ENODATA for an unexpected end of file
  Direction dir = Direction::read;
  std::string file;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::int64_t result = 0;
};

// One line: "EIO (Input/output error): read of FILE at offset O (L bytes)", or for a short
// transfer "short read of FILE at offset O: R of L bytes".
[[nodiscard]] std::string describe(const ErrorDetail& e);

struct DirectionStats {
  std::uint64_t ops = 0;
  std::uint64_t bytes = 0;
  // Sequentiality is judged in the order requests were issued (completions of a deep queue
  // arrive out of order): issued ops, and those that started where the previous issued op of
  // the same direction on that file ended (the first op on a file: at offset 0).
  std::uint64_t issued_ops = 0;
  std::uint64_t sequential_ops = 0;
  [[nodiscard]] double sequential_fraction() const {
    return issued_ops ? static_cast<double>(sequential_ops) / static_cast<double>(issued_ops) : 0.0;
  }
  LatencyHistogram latency;
  // (request size, ops), ascending by size. A workload uses few sizes, so a scan of a small
  // vector beats a map on the hot path.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> sizes;
  void add_size(std::uint32_t size, std::uint64_t ops);
};

class TraceLog;

class Recorder {
 public:
  static constexpr std::size_t kMaxErrorDetails = 8;

  // `origin_ns`: time zero of the time series; `interval_ns` its bucket width (> 0).
  Recorder(std::uint64_t origin_ns, std::uint64_t interval_ns);

  // Names a file id for error details (ids are per worker engine) and starts its sequentiality
  // afresh: name each file as it is opened.
  void name_file(std::uint32_t file, std::string name);

  // A file made durable (fsync) from `start_ns` to `done_ns`: written down in the trace, when there
  // is one, as a sync op (`err`: a positive errno when it failed). Changes no figure.
  void note_sync(std::uint32_t file, std::uint64_t start_ns, std::uint64_t done_ns, int err = 0);

  // From now on every recorded op is also written down in `log` (a phase's `trace`); the log
  // must outlive the recorder's use. Merging and the wire form leave it out.
  void trace_into(TraceLog* log) noexcept { trace_ = log; }

  // One operation as it is issued (measured ops only): feeds sequentiality.
  void issue(Direction dir, std::uint32_t file, std::uint64_t offset, std::uint32_t length) {
    auto& d = dirs_[static_cast<int>(dir)];
    const std::size_t slot = 2 * std::size_t{file} + static_cast<std::size_t>(dir);
    if (next_offset_.size() <= slot) next_offset_.resize(2 * std::size_t{file} + 2, 0);
    ++d.issued_ops;
    if (next_offset_[slot] == offset) ++d.sequential_ops;
    next_offset_[slot] = offset + length;
  }

  // One completed operation. `result` is bytes done or -errno; a short non-negative result is an
  // unexpected end of file (ENODATA). Only successful ops feed latency and throughput. `asked`
  // (when not 0): the length the request asked for, where `length` is what a read that may end
  // at end of file got — what a trace writes down, so a replay asks the same. `issued`: the op's
  // place in its worker's issue order (ops of one batch share a submit time; completions come in
  // any order), which a trace keeps.
  void record(Direction dir, std::uint32_t file, std::uint64_t offset, std::uint32_t length,
              std::int64_t result, std::uint64_t submit_ns, std::uint64_t done_ns,
              std::uint32_t asked = 0, std::uint64_t issued = 0);

  void merge(const Recorder& other);

  // A byte string holding everything the recorder saw, and the recorder it came from: how a
  // forked client process (a storm) hands its measurements to the parent. Both ends are the same
  // binary, so the form is this build's own, not a file format. from_wire throws InputError when
  // the string is truncated or malformed.
  [[nodiscard]] std::string to_wire() const;
  [[nodiscard]] static Recorder from_wire(std::string_view wire);
  // Moves every time this recorder holds by `ns` (another process's clock onto this one's); the
  // time series moves with its origin.
  void shift(std::int64_t ns);
  // Moves the end of the measured interval to `done_ns` (e.g. after a timed fsync).
  void extend_to(std::uint64_t done_ns) { last_done_ns_ = std::max(last_done_ns_, done_ns); }

  [[nodiscard]] const DirectionStats& stats(Direction d) const {
    return dirs_[static_cast<int>(d)];
  }
  [[nodiscard]] LatencyHistogram combined_latency() const;
  [[nodiscard]] std::uint64_t ops() const { return dirs_[0].ops + dirs_[1].ops; }
  [[nodiscard]] std::uint64_t bytes() const { return dirs_[0].bytes + dirs_[1].bytes; }
  [[nodiscard]] std::uint64_t first_submit_ns() const { return first_submit_ns_; }
  [[nodiscard]] std::uint64_t last_done_ns() const { return last_done_ns_; }
  [[nodiscard]] std::uint64_t interval_ns() const { return interval_ns_; }
  [[nodiscard]] const std::vector<std::uint64_t>& series_bytes() const { return series_bytes_; }
  [[nodiscard]] const std::vector<std::uint64_t>& series_ops() const { return series_ops_; }
  [[nodiscard]] const std::map<int, std::uint64_t>& errors() const { return errors_; }
  [[nodiscard]] std::uint64_t error_count() const;
  [[nodiscard]] const std::vector<ErrorDetail>& error_details() const { return details_; }

  // Achieved queue depth by Little's law: IOPS x mean latency.
  [[nodiscard]] double achieved_queue_depth() const;
  // "r=128K seq", "r=4K rand", "w=1M seq", "r=4K rand, w=4K rand" — derived, never typed.
  [[nodiscard]] std::string io_pattern() const;

 private:
  std::uint64_t origin_ns_;
  std::uint64_t interval_ns_;
  DirectionStats dirs_[2];
  // Per file id and direction (as fio keeps a last position per direction), at 2 * id + dir:
  // where a sequential op would start.
  std::vector<std::uint64_t> next_offset_;
  std::vector<std::string> file_names_;
  std::uint64_t first_submit_ns_ = UINT64_MAX;
  std::uint64_t last_done_ns_ = 0;
  std::vector<std::uint64_t> series_bytes_;
  std::vector<std::uint64_t> series_ops_;
  std::map<int, std::uint64_t> errors_;
  std::vector<ErrorDetail> details_;
  TraceLog* trace_ = nullptr;
};

// The pattern of one direction: "128K seq", "4K rand", "4K-64K rand", "128K mixed".
[[nodiscard]] std::string pattern_of(const DirectionStats& stats);

}  // namespace aistor
