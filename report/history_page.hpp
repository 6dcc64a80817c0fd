#pragma once
// The history of a machine's nightly reports as one self-contained HTML page: the regressions the
// newest night starts, every change point (night, magnitude, p), each metric's noise (unstable
// metrics apart), and a trend chart per phase and metric whose points link to their reports.
#include <string>
#include <vector>

#include "report/history.hpp"

namespace aistor {

struct HistoryNight {
  std::string label;  // the report's started_at
  std::string link;   // the report's path, as the page links it
};

[[nodiscard]] std::string history_page(const std::vector<MetricHistory>& history,
                                       const std::vector<HistoryNight>& nights,
                                       const HistoryOptions& options);

// The changes the newest night (`nights` - 1) finds in stable metrics that are regressions.
[[nodiscard]] std::vector<std::pair<const MetricHistory*, ChangePoint>> newest_regressions(
    const std::vector<MetricHistory>& history, std::size_t nights);

}  // namespace aistor
