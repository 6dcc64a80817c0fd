#pragma once
// The HTML report: one self-contained page (styles, charts and a small self-check inline, nothing
// fetched) with each run's host and target, its tables, and charts drawn by report/svg_chart:
// throughput over time per phase, latency percentile curves per engine, bars comparing the cells
// of a matrix, per-client completion for storms and AU per epoch for training phases. Each chart
// is a <figure class="chart" data-kind=... data-marks=N>; on load the page's script counts the
// marks the browser laid out with a size and sets data-drawn, so a headless browser can check it.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

// `names` label the reports (their file names), one per report.
[[nodiscard]] std::string html_report(const std::vector<nlohmann::json>& reports,
                                      const std::vector<std::string>& names);

}  // namespace aistor
