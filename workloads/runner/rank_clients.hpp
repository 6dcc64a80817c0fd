#pragma once
// A phase's clients as the ranks of an MPI job (aistor run under mpirun): each rank is one
// client (a storm's client, or a thread workload's workers), on whichever host mpirun placed it.
// The ranks leave one MPI barrier together, run, then rank 0 measures every rank's clock offset
// (untimed, after the run) and gathers their messages (client_run.hpp). The ClientRun at rank 0
// has every rank's result on rank 0's clock, time zero the first rank's release; the others get
// their own result only (for their own status and checks). The first-done snapshot needs memory
// the clients share, so it is not taken across ranks (first_done_ns = 0).
#include <atomic>

#include "workloads/runner/client_processes.hpp"
#include "workloads/runner/ranks.hpp"

namespace aistor {

[[nodiscard]] ClientRun run_rank_clients(const PhaseSpec& spec, Workload& workload, Ranks& ranks,
                                         const std::atomic<bool>& stop);

}  // namespace aistor
