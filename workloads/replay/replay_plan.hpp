#pragma once
// What a replay will do, worked out untimed from a trace: each thread's ops in order with the time
// each is due, and the trace's files remapped under the phase's directory, created and sized where
// missing (workloads/replay/replay_workload.hpp says the rules).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/formats/trace_file.hpp"

namespace aistor {

struct ReplayOp {
  std::uint64_t due_ns = 0;  // since the phase's start, scaled
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t file = 0;  // index into ReplayPlan::files
  std::uint8_t op = 0;     // kTraceRead, kTraceWrite or kTraceSync
  bool to_eof = false;     // a read the recording saw end early at end of file: so may this one
};

struct ReplayFile {
  std::string name;            // as the trace names it
  std::filesystem::path path;  // where it is replayed
  std::uint64_t extent = 0;    // the furthest byte the replayed ops reach
  bool written = false;
  bool read = false;
  bool created = false;  // made by this replay
};

struct ReplayPlan {
  std::vector<ReplayFile> files;
  std::vector<std::vector<ReplayOp>> threads;
  std::vector<std::uint32_t> max_length;  // per thread: its buffers' size
  nlohmann::json trace_facts;             // what the trace holds, for the report
  std::uint64_t writes_dropped = 0;       // with read_only
  std::uint64_t syncs_dropped = 0;        // with read_only, or of files with no data op
  std::uint64_t bytes_laid_out = 0;
};

struct ReplayShape {
  unsigned threads = 0;  // 0: one per stream
  bool read_only = false;
  double time_scale = 1.0;  // due = recorded start x scale
};

// Threads and ops from the trace. InputError when nothing is left to replay, or its streams are
// more than `max_threads` and `threads` was not given.
[[nodiscard]] ReplayPlan plan_replay(const formats::Trace& trace, const ReplayShape& shape,
                                     const std::filesystem::path& dir, unsigned max_threads);

// Untimed: creates missing files (listed in the directory's aistor-files.json first), grows
// aistor's own that are too short, refuses to write or grow anyone else's. Returns the paths.
[[nodiscard]] std::vector<std::filesystem::path> prepare_replay_files(
    ReplayPlan& plan, const std::filesystem::path& dir, const std::atomic<bool>* stop);

}  // namespace aistor
