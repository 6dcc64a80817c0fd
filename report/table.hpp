#pragma once
// The tables rendered from reports: one row per phase with throughput, IOPS, latency and
// pattern, and the named tables of the workloads that have their own figures.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// Every phase of the reports: engine, pattern, MB/s, IOPS, p50, p99, residency, status.
[[nodiscard]] Table phase_table(const std::vector<nlohmann::json>& reports);
// The samples workload: epochs, samples/s, delivered MB/s, AU, stall, read amplification.
[[nodiscard]] Table training_table(const std::vector<nlohmann::json>& reports);
// The checkpoint workload: time to durable for saves, restore time and verification.
[[nodiscard]] Table checkpoint_table(const std::vector<nlohmann::json>& reports);
// The seed table's columns for every model-load phase of the reports: model, params, size,
// implementation, load time, throughput, I/O pattern, notes.
[[nodiscard]] Table model_load_table(const std::vector<nlohmann::json>& reports);
// Medians of repeated phases, and the searches, of one report.
[[nodiscard]] Table repetition_table(const nlohmann::json& report);
[[nodiscard]] Table search_table(const nlohmann::json& report);

// The tables of one report: phases, then training, checkpoint, kv-cache, model-load, storm,
// packing, searches and repetitions (empty where the report has none of that kind).
[[nodiscard]] std::vector<Table> summary_tables(const nlohmann::json& report);
// summary_tables as aligned text (no colour codes), the phase table's header always there.
[[nodiscard]] std::string summary_table(const nlohmann::json& report);

}  // namespace aistor
