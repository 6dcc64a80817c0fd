#pragma once
// The vector-search table: one row per vector-search phase — the index (vectors x dimensions,
// degree), the engine, queries in flight, search list and beam, QPS, query latency p50/p99/p99.9,
// hops and reads a query, the device's IOPS and mean queue depth, the share of query time spent
// waiting on reads, recall@k.
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// Empty (header only) when no report has a vector-search phase.
[[nodiscard]] Table vector_search_table(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
