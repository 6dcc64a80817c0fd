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

#include "core/recorder.hpp"
#include "engines/pump.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/workload.hpp"

namespace aistor {

// One client's end of a phase, as the parent saw it.
struct ClientResult {
  unsigned index = 0;
  int pid = 0;
  std::string host;                  // where it ran
  int rank = -1;                     // its MPI rank (-1: a forked client)
  std::int64_t clock_offset_ns = 0;  // added to its own clock's times to get the run's
  std::int64_t clock_rtt_ns = 0;     // the round trip that measured it (0: the same process tree)
  std::string error;                 // empty: the client ran to its end
  unsigned io_failed_workers = 0;    // its workers that ended on an I/O error
  std::uint64_t released_ns = 0;     // when it left the start barrier (0: never)
  std::uint64_t bytes = 0;           // delivered by its recorder
  std::uint64_t ops = 0;
  std::uint64_t first_submit_ns = 0;  // 0: submitted nothing
  std::uint64_t last_done_ns = 0;
  std::optional<std::uint64_t> storage_read_bytes;  // its /proc/self/io delta over the run
  std::optional<std::uint64_t> storage_write_bytes;
  std::uint64_t bytes_at_first_done = 0;  // delivered when the first client finished
  nlohmann::json metrics;                 // the workload's client_summary() (null when none)
};

struct ClientRun {
  std::uint64_t start_ns = 0;       // the barrier's release: the phase's time zero
  std::uint64_t first_done_ns = 0;  // when the first client's workers had all ended
  std::vector<ClientResult> clients;
  Recorder merged{0, 1};            // every client's recorder, on the phase's time zero
  std::vector<std::string> errors;  // per worker: its exception, else empty
  std::vector<PumpOutcome> ends;    // per worker, client by client
  nlohmann::json engine;            // the first client's first engine, described
};

using ClientProgress = std::function<void(std::uint64_t bytes, std::uint64_t ops)>;

// Throws SystemError when the clients cannot be started (fork, pipe, mmap); failures inside a
// client are in its ClientResult::error.
[[nodiscard]] ClientRun run_clients(const PhaseSpec& spec, Workload& workload,
                                    const std::atomic<bool>& stop, const ClientProgress& progress,
                                    double ready_timeout_s = 120);

}  // namespace aistor
