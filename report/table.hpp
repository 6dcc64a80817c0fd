#pragma once
// The terminal summary of a report: one row per phase with throughput, IOPS, latency and pattern.
#include <string>

#include <nlohmann/json.hpp>

namespace aistor {

// Renders report["phases"] as an aligned text table (no colour codes).
[[nodiscard]] std::string summary_table(const nlohmann::json& report);

}  // namespace aistor
