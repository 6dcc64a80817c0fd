#pragma once
// A report's headline figures in the formats other tools read, each phase's figures in base units:
//
// bmf          Bencher Metric Format: {phase: {measure: {value[, lower_value, upper_value]}}};
//              measures bytes-per-second, iops, latency-p50 and latency-p99 (ns); a repeated
//              phase gives its median with the min and max as the bounds.
// gab          github-action-benchmark's `customBiggerIsBetter` JSON: [{name, unit, value,
//              range?, extra}] of bytes/s and IOPS; gab-smaller: `customSmallerIsBetter`,
//              the latencies (the action reads one direction a file).
// openmetrics  the OpenMetrics text format (for a Prometheus push): gauges aistor_phase_*
//              labelled by phase, workload, engine and repetition; seconds and bytes; `# EOF`.
// csv-raw      one row per phase run, numbers in base units (bytes, ns, s), no rounding, and
//              the verdict (where the bytes came from, what bound it).
// Only phases that ran (with figures) are exported; failed ones appear in csv-raw only.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

[[nodiscard]] std::string export_bmf(const std::vector<nlohmann::json>& reports);
[[nodiscard]] std::string export_gab(const std::vector<nlohmann::json>& reports,
                                     bool bigger_is_better);
[[nodiscard]] std::string export_openmetrics(const std::vector<nlohmann::json>& reports);
[[nodiscard]] std::string export_csv_raw(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
