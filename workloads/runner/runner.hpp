#pragma once
// Runs a Plan: for each phase and repetition, prepares inputs (untimed), applies the cache policy,
// measures residency, runs the workload on its workers (threads, one engine and recorder each),
// merges what they recorded and builds the phase's JSON. A failed phase is data in the result, not
// the end of the run; a set stop flag ends the run within about 100 ms with status "interrupted".
#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct ProgressUpdate {
  const PhaseSpec* phase = nullptr;
  std::size_t index = 0;  // phase run number, 0-based
  std::size_t total = 0;
  double elapsed_s = 0;
  std::uint64_t bytes = 0;
  std::uint64_t ops = 0;
  Goal goal;
  bool preparing = false;
};

struct RunOptions {
  const std::atomic<bool>* stop = nullptr;                      // may be null
  std::function<void(const ProgressUpdate&)> progress;          // main thread, ~4 times a second
  std::function<void(const nlohmann::json& phase)> phase_done;  // after each phase
  bool allow_device_writes = false;  // --allow-device-writes (raw phases on a block device)
};

struct RunOutcome {
  Status status = Status::ok;
  nlohmann::json phases = nlohmann::json::array();
  // For each phase run more than once: the median (and spread) of its headline figures over the
  // repetitions that succeeded.
  nlohmann::json repetitions = nlohmann::json::array();
  // For each phase with a search: its trials and the largest value that met the target.
  nlohmann::json searches = nlohmann::json::array();
};

[[nodiscard]] RunOutcome run_plan(const Plan& plan, const RunOptions& options);

}  // namespace aistor
