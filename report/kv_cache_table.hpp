#pragma once
// The kv-cache table: one row per kv-cache phase (model, entry shape, users, requests/s, hit
// rate, storage read and write GB/s, the p50/p95 time to load a request's cached prefix into the
// top tier, the p95 of a request's summed storage time, cached tokens served per second), and the
// tier table: a row per tier a phase used (budget, peak use, hits, bytes read and written, moves
// in and out, drops, per-request read and write p95). Under mpirun the phase row's p95 is the
// largest of the ranks' (MLPerf's rule).
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// The phase table and the tier table (both empty when no report has a kv-cache phase).
[[nodiscard]] std::vector<Table> kv_cache_tables(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
