#pragma once
// Figures read out of phase results: a phase's repetitions summarised, and one number at a dotted
// path (what a search tests).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "workloads/runner/plan.hpp"

namespace aistor {

// The ok repetitions of `spec` among `phases`: median, min and max of bytes/s, IOPS, p50 and p99.
[[nodiscard]] nlohmann::json summarize_repetitions(const PhaseSpec& spec,
                                                   const nlohmann::json& phases);

// The number at a dotted path of a phase result ("workload_metrics.au"), if there is one.
[[nodiscard]] std::optional<double> metric_at(const nlohmann::json& phase,
                                              const std::string& dotted);

}  // namespace aistor
