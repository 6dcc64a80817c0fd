#pragma once
// The ranks table: one row per phase that ran across MPI ranks (not a storm, whose clients have
// the storm table): ranks that completed, the aggregate throughput (every rank's bytes over latest
// end - earliest start), first-done and last-done, the straggler ratio and the slowest rank by
// rank and host; with `per_rank` a row per rank under it (host, finish, its own GB/s, bytes).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// The ranks table, and with `per_rank` the rank table; none when no phase ran across ranks.
[[nodiscard]] std::vector<Table> ranks_tables(const std::vector<nlohmann::json>& reports,
                                              bool per_rank);
// ranks_tables as aligned text; empty when no phase ran across ranks.
[[nodiscard]] std::string ranks_table(const std::vector<nlohmann::json>& reports, bool per_rank);

}  // namespace aistor
