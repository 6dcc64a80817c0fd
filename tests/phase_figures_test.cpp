// Figures read out of phase results: repetitions summarised, numbers at dotted paths.
#include "workloads/runner/phase_figures.hpp"

#include <gtest/gtest.h>

namespace aistor {

TEST(PhaseFigures, MetricAtFollowsDottedPathsToNumbersOnly) {
  const auto phase = nlohmann::json::parse(
      R"({"bytes_per_s": 5, "workload_metrics": {"au": 0.9, "name": "x", "e": {"f": 2}}})");
  EXPECT_EQ(metric_at(phase, "bytes_per_s"), 5.0);
  EXPECT_EQ(metric_at(phase, "workload_metrics.au"), 0.9);
  EXPECT_EQ(metric_at(phase, "workload_metrics.e.f"), 2.0);
  EXPECT_EQ(metric_at(phase, "workload_metrics.name"), std::nullopt);  // not a number
  EXPECT_EQ(metric_at(phase, "workload_metrics.missing"), std::nullopt);
  EXPECT_EQ(metric_at(phase, "bytes_per_s.deeper"), std::nullopt);
  EXPECT_EQ(metric_at(phase, "workload_metrics"), std::nullopt);
}

TEST(PhaseFigures, RepetitionsSummariseTheOkRunsOfThatPhase) {
  PhaseSpec spec;
  spec.name = std::string(1, 'p');  // not = "p": GCC 12's -Wrestrict false positive in Release
  spec.repeat = 4;
  auto run = [](const char* name, const char* status, double bps) {
    return nlohmann::json{{"name", name},
                          {"status", status},
                          {"bytes_per_s", bps},
                          {"iops", bps / 10},
                          {"latency_ns", {{"p50", bps / 100}, {"p99", bps / 50}}}};
  };
  const nlohmann::json phases{run("p", "ok", 100), run("p", "ok", 300), run("other", "ok", 900),
                              run("p", "failed", 0), run("p", "ok", 200)};
  const auto j = summarize_repetitions(spec, phases);
  EXPECT_EQ(j["repetitions"], 4);
  EXPECT_EQ(j["ok"], 3);
  EXPECT_EQ(j["bytes_per_s"], (nlohmann::json{{"median", 200.0}, {"min", 100.0}, {"max", 300.0}}));
  EXPECT_EQ(j["iops"]["median"], 20.0);
  EXPECT_EQ(j["p99_ns"]["max"], 6.0);
  const auto none = summarize_repetitions(spec, nlohmann::json::array({run("p", "failed", 1)}));
  EXPECT_EQ(none["ok"], 0);
  EXPECT_FALSE(none.contains("bytes_per_s"));
}

}  // namespace aistor
