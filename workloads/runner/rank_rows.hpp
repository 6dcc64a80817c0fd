#pragma once
// A thread workload's phase run on every rank of an MPI job, as rank 0 reports it: one row per
// rank (host, clock offset, when it was released, started and finished, bytes, ops, its own
// throughput and storage bytes, its workload's own figures) and the tails across ranks:
// first-done and last-done, the straggler ratio (slowest over median), the slowest rank by host
// and rank, each host's completion tail. (The runner replaces each row's figures with the ones
// the rank has once it checked its part.)
#include <nlohmann/json.hpp>

#include "workloads/runner/client_processes.hpp"

namespace aistor {

[[nodiscard]] nlohmann::json rank_rows(const ClientRun& run);

}  // namespace aistor
