#pragma once
// The terminal summary of a report: one row per phase with throughput, IOPS, latency and pattern.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

// Renders report["phases"] as an aligned text table (no colour codes).
[[nodiscard]] std::string summary_table(const nlohmann::json& report);
// The seed table's columns for every model-load phase of the reports: model, params, size,
// implementation, load time, throughput, I/O pattern, notes. Empty when there is none.
[[nodiscard]] std::string model_load_table(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
