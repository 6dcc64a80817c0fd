#pragma once
// Run against run: `aistor compare BASE NEW`. Phases are matched by name (a matrix cell's name
// carries its parameters); each side's repetitions of a phase (repeat: N, or several reports) are
// the samples. For every headline metric (bytes_per_s and iops: higher is better; p50 and p99
// latency: lower is better) the medians, their ratio, and a verdict:
//   better / worse  the Mann-Whitney U test says the samples differ (Holm-adjusted p < alpha:
//                   a run compares dozens of metrics, and at alpha 0.05 each, two runs of the
//                   same build would show a few "significant" changes by chance) and the
//                   medians differ by at least the threshold in that direction
//   same            the medians are within the threshold
//   unknown         they differ by more than the threshold but the samples cannot tell noise
//                   from change (p >= alpha, or fewer than two runs on a side)
// A phase that ran ok in BASE and failed in NEW is a regression too. Before any of that, the
// metadata guard: runs of different build types, device models or filesystems are refused (a
// reason each), other differences (kernel, CPU, host, config) are warnings.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

struct CompareOptions {
  double threshold = 0.05;  // relative change of the medians that matters
  double alpha = 0.05;      // significance level of the U test
  bool force = false;       // compare even what the guard refuses (the reasons become warnings)
};

struct MetricComparison {
  std::string phase;
  std::string metric;  // bytes_per_s, iops, p50_ns, p99_ns
  std::vector<double> base, next;
  double base_median = 0, next_median = 0;
  double ratio = 0;       // next / base
  double p = 1;           // two-sided; 1 when not tested
  double p_adjusted = 1;  // Holm-Bonferroni over every tested metric of the comparison
  std::string verdict;
};

struct Comparison {
  std::vector<MetricComparison> metrics;
  std::vector<std::string> failed;     // phases ok in BASE, failed in NEW
  std::vector<std::string> unmatched;  // phases on one side only
  std::vector<std::string> warnings;
  std::vector<std::string> refusals;  // non-empty: not compared
  [[nodiscard]] bool regression() const;
};

// `base` and `next` are aistor reports or fio outputs (each side's documents pooled).
[[nodiscard]] Comparison compare_runs(const std::vector<nlohmann::json>& base,
                                      const std::vector<nlohmann::json>& next,
                                      const CompareOptions& options);

// A text table, or Markdown for CI logs; warnings, unmatched phases and the verdict line below.
[[nodiscard]] std::string render_comparison(const Comparison& c, const CompareOptions& options,
                                            bool markdown);

}  // namespace aistor
