#pragma once
// A thread workload's workers in one process: each its own engine, recorder and progress
// counters; before_start() untimed on every worker, then run() on every worker, timed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/recorder.hpp"
#include "engines/engine.hpp"
#include "engines/pump.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct WorkerSlot {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Recorder> recorder;
  ProgressCounters progress;
  std::string error;  // the worker's exception, if it threw
  PumpOutcome outcome;
  double cpu_s = 0;  // the worker thread's CPU time in run() (user and system)
};

// Untimed, before the clock starts: before_start() on each worker's thread (a checkpoint puts its
// state in GPU memory), its I/O to a scratch recorder. False when one threw (its slot's error).
[[nodiscard]] bool before_start_workers(const PhaseSpec& spec, Workload& workload,
                                        std::vector<std::unique_ptr<WorkerSlot>>& slots,
                                        const std::atomic<bool>& stop);

// Timed: run() on one thread per worker, each recording into its slot's recorder; the calling
// thread watches `stop` (one failed worker stops the others too) and calls `progress` every
// quarter second with the bytes and ops done so far.
void run_workers(const PhaseSpec& spec, Workload& workload, std::uint64_t start,
                 std::vector<std::unique_ptr<WorkerSlot>>& slots, const std::atomic<bool>& stop,
                 const std::function<void(std::uint64_t bytes, std::uint64_t ops)>& progress);

}  // namespace aistor
