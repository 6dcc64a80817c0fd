#pragma once
// The seed's packing table from pack phases: dataset | from | to | time | throughput | read only |
// I/O pattern, the "read only" time taken from a read-only pack phase over the same source; and,
// when the reports also hold sequential raw read and write phases, packing against the device
// (the payload rate, and what the device carried: the pack's reads and writes together).
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// The packing table, then the device table (empty when no raw sequential phases were run).
[[nodiscard]] std::vector<Table> packing_tables(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
