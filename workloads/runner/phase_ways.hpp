#pragma once
// The three ways a phase's workers run, each from engines made to a merged recorder:
//   run_on_threads  threads of this process, one engine and recorder each (most phases);
//   run_on_clients  forked client processes (a storm: each process pays its own page faults);
//   run_on_ranks    one client per MPI rank, on whichever hosts mpirun placed them.
// Each sets `start_ns` (the phase's time zero) before its workers run, so a progress callback
// reading it measures from there, and adds what only it knows to `phase` (engine, workers,
// clients, ranks and their rows).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/recorder.hpp"
#include "core/trace_log.hpp"
#include "engines/pump.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/ranks.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct WorkersRan {
  Recorder merged{0, 1};
  std::vector<std::string> errors;  // per worker: its exception, else empty
  std::vector<PumpOutcome> ends;    // per worker
  std::vector<double> cpu_s;        // per worker thread: its CPU time (threads only)
  // Clients' own /proc/self/io deltas, summed (the parent's would count reaped children twice
  // and cannot see other ranks); nullopt for threads, which the phase's own delta covers.
  std::optional<std::uint64_t> clients_read_bytes;
  std::optional<std::uint64_t> clients_write_bytes;
  // Per worker, when the phase has a `trace`: every op it issued.
  std::vector<std::unique_ptr<TraceLog>> traces;
};

using PhaseProgress = std::function<void(std::uint64_t bytes, std::uint64_t ops)>;

[[nodiscard]] WorkersRan run_on_threads(const PhaseSpec& spec, Workload& workload,
                                        const std::atomic<bool>& stop,
                                        const PhaseProgress& progress, std::uint64_t& start_ns,
                                        nlohmann::json& phase);
[[nodiscard]] WorkersRan run_on_clients(const PhaseSpec& spec, Workload& workload,
                                        const std::atomic<bool>& stop,
                                        const PhaseProgress& progress, std::uint64_t& start_ns,
                                        nlohmann::json& phase);
[[nodiscard]] WorkersRan run_on_ranks(const PhaseSpec& spec, Workload& workload, Ranks& ranks,
                                      const std::atomic<bool>& stop, std::uint64_t& start_ns,
                                      nlohmann::json& phase);

}  // namespace aistor
