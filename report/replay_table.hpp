#pragma once
// The replay table: each recorded phase (one with a `trace`) beside the replays of its trace found
// in the reports given — the same pattern column, throughput and the ratio to the recording's,
// IOPS, latency p50/p99, and for a timed replay its issue lag p99 and achieved rate. A replay
// whose recording is not among the reports gets its row alone, its trace's recorded rate beside.
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// Empty (header only) when no report has a replay phase.
[[nodiscard]] Table replay_table(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
