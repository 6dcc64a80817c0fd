#pragma once
// The storm table: one row per storm phase (clients, completion min/p50/p99/max, straggler
// ratio, aggregate throughput when the first and the last client finished, storage read against
// bytes delivered), and with `per_client` a row per client under it (start, first byte, finish,
// rate, storage bytes it read, the share of its bytes the page cache served).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// The storm table, and with `per_client` the client table; none when no report has a storm phase.
[[nodiscard]] std::vector<Table> storm_tables(const std::vector<nlohmann::json>& reports,
                                              bool per_client);
// storm_tables as aligned text; empty when no report has a storm phase.
[[nodiscard]] std::string storm_table(const std::vector<nlohmann::json>& reports, bool per_client);

}  // namespace aistor
