#pragma once
// Many nightly reports of one machine as history (`aistor history`): each phase's headline
// metrics night by night, their run-to-run noise, and the nights where they changed.
//
// A night's value is the median of the phase's ok runs in that report (its repetitions).
// Noise: the robust spread of the relative change from one night to the next (1.4826 x the
// median absolute deviation of the night-to-night ratios, / sqrt 2: one night's own noise); a
// metric noisier than the threshold cannot be gated at it and is listed apart as unstable.
//
// Change points, night by night as they arrive (so the newest night can fail a gate): the last
// `after` nights (3) against the nights before them since the last change (at most `window`, 12;
// at least `min_before`, raised until the exact test can reach alpha: 9 for 3 nights at 0.01)
// with the Mann-Whitney U test. A change starts at the first of the `after` nights when p < alpha
// (0.01), the medians differ by at least the threshold (5 %), and it is sustained: every night
// after lies on the new side of the old median by half the threshold.
// Why this method: a rank test needs no assumption of normal noise and ignores an outlier night;
// testing a few nights after a candidate instead of one trades two nights of delay for far
// fewer false alarms than a pairwise night-against-night gate, and restarting the baseline at
// each change keeps an old level from hiding a new step. The earliest a step can be found is
// `after` - 1 nights after it; a second step within `min_before` nights of the last change lies
// inside the baseline the test needs and is not told apart from it.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

struct HistoryOptions {
  unsigned window = 12;
  unsigned min_before = 5;
  unsigned after = 3;
  double alpha = 0.01;
  double threshold = 0.05;
};

struct ChangePoint {
  std::size_t start = 0;     // the first night at the new level (index into the nights)
  std::size_t found_at = 0;  // the night whose arrival found it
  double ratio = 1;          // median after / median before
  double p = 1;              // Mann-Whitney two-sided
  bool regression = false;   // worse in the metric's direction
};

struct MetricHistory {
  std::string phase;
  std::string metric;  // bytes_per_s, iops, p50_ns, p99_ns
  bool higher_is_better = true;
  std::vector<std::size_t> nights;  // the nights (indices) that have a value
  std::vector<double> values;
  double noise = 0;
  bool unstable = false;
  std::vector<ChangePoint> changes;  // `start`, `found_at` index into `values`
};

// The nights' reports, oldest first.
[[nodiscard]] std::vector<MetricHistory> build_history(std::span<const nlohmann::json> reports,
                                                       const HistoryOptions& options);

[[nodiscard]] double history_noise(std::span<const double> values);

[[nodiscard]] std::vector<ChangePoint> find_changes(std::span<const double> values,
                                                    bool higher_is_better,
                                                    const HistoryOptions& options);

}  // namespace aistor
