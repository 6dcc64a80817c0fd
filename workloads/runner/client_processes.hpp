#pragma once
// A phase's workers as forked client processes, for storms: many processes (as many inference
// servers would be) loading at the same moment, each paying for its own page faults and storage
// reads, which threads of one process cannot show.
//
// run_clients() forks `workload.processes()` clients after the phase is prepared. Each client
// makes its engines (one per worker thread), runs the workload's before_start(), reports ready,
// and blocks on a start barrier (a pipe every client reads; the parent closes it to release them
// all at once). After its workers end, the client sends the parent its merged Recorder, how each
// worker ended, its /proc/self/io delta and the workload's client_summary(), then _exits.
//
// Never hangs on a client: a client that dies, fails to set up or is not ready within
// `ready_timeout_s` releases the barrier with the stop flag set, and the phase fails naming it.
// Setting `stop` (Ctrl-C) stops every client's workers through a shared flag; clients die with
// the parent (PR_SET_PDEATHSIG). Call from a thread that may fork: clients run only the workload
// and engines, never the caller's other threads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/client_result.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/workload.hpp"

namespace aistor {

using ClientProgress = std::function<void(std::uint64_t bytes, std::uint64_t ops)>;

// Throws SystemError when the clients cannot be started (fork, pipe, mmap); failures inside a
// client are in its ClientResult::error.
[[nodiscard]] ClientRun run_clients(const PhaseSpec& spec, Workload& workload,
                                    const std::atomic<bool>& stop, const ClientProgress& progress,
                                    double ready_timeout_s = 120);

}  // namespace aistor
