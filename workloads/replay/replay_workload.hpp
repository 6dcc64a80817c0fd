#pragma once
// Replay: a trace's ops played through the phase's engine — aistor's own traces, fio's iologs,
// blkparse text, MLPerf KV-cache CSV (workloads/formats/trace_import.hpp).
//
// Each of the trace's streams (workers, fio's job, a blktrace process) keeps its order; streams are
// kept one to a thread, or folded onto `threads` (stream s on thread s mod threads, merged by
// time). `timing`: `afap` issues each thread's ops as fast as its queue allows; `original` issues
// each op at its recorded time from the phase's start, `scaled` at that time x `time_scale`. The
// lag of every timed op (issued minus due) is measured: that is the replay's fidelity.
//
// The trace's files are remapped under the phase's directory (a relative name as it is, any other
// flattened into one name) and, untimed, created when missing: sized to what the trace reads and
// filled with pseudo-random bytes, or empty when the trace only writes them (a new file, as the
// recording's was). Files aistor did not make are read, never written or grown;
// `read_only` drops the trace's writes.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/histogram.hpp"
#include "workloads/formats/trace_import.hpp"
#include "workloads/replay/replay_plan.hpp"
#include "workloads/workload.hpp"

namespace aistor {

enum class ReplayTiming : std::uint8_t { afap, original, scaled };

struct ReplayParams {
  std::filesystem::path source;
  formats::TraceFormat format = formats::TraceFormat::automatic;
  ReplayTiming timing = ReplayTiming::afap;
  double time_scale = 1.0;
  unsigned threads = 0;  // 0: one per stream
  bool read_only = false;
  std::uint64_t duration_ns = 0;  // 0: the whole trace
};

// What the workers measured beyond the recorder: the lag of timed ops, ops issued.
struct ReplayTally {
  LatencyHistogram lag;
  std::uint64_t issued = 0;
  std::uint64_t syncs = 0;
  std::uint64_t late_1ms = 0;  // issued more than 1 ms after they were due
  std::uint64_t end_ns = 0;    // the last completion
  void merge(const ReplayTally& o) {
    lag.merge(o.lag);
    issued += o.issued;
    syncs += o.syncs;
    late_1ms += o.late_1ms;
    end_ns = std::max(end_ns, o.end_ns);
  }
};

class ReplayWorkload final : public Workload {
 public:
  explicit ReplayWorkload(ReplayParams params);

  [[nodiscard]] unsigned workers() const override;
  [[nodiscard]] Goal goal() const override { return {0, params_.duration_ns}; }
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  void run(WorkerContext& ctx) override;
  [[nodiscard]] nlohmann::json summarize() const override;

  [[nodiscard]] static ReplayParams parse(ConfigNode& phase);

 private:
  void play(WorkerContext& ctx, std::span<const ReplayOp> ops, std::span<const FileId> ids,
            Pump& pump, const PumpLimits& limits, ReplayTally& mine) const;

  ReplayParams params_;
  std::unique_ptr<ReplayPlan> plan_;
  mutable std::mutex mutex_;
  ReplayTally tally_;
  std::uint64_t start_ns_ = 0;
};

[[nodiscard]] WorkloadInfo replay_workload_info();

}  // namespace aistor
