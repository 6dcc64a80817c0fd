// compare's verdicts on constructed runs (identical, shifted, noisy, failed, not comparable), fio's
// JSON read from a real run in results/, the Markdown form, and the CLI's exit codes.
#include "report/compare.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "report/fio_import.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

// A report whose phase "seq" ran once per value: bytes_per_s = v MB/s, iops and latencies
// following it (latency falls as throughput rises).
nlohmann::json run_of(const std::vector<double>& mb_per_s, const std::string& build = "Release",
                      const std::string& kernel = "6.1.0") {
  nlohmann::json phases = nlohmann::json::array();
  for (std::size_t i = 0; i < mb_per_s.size(); ++i) {
    const double v = mb_per_s[i] * 1e6;
    phases.push_back({{"name", "seq"},
                      {"repetition", i},
                      {"status", "ok"},
                      {"bytes_per_s", v},
                      {"iops", v / 131072},
                      {"latency_ns", {{"p50", 1e14 / v}, {"p99", 3e14 / v}}}});
  }
  return {{"schema", "aistor.report/1"},
          {"tool", {{"build_type", build}}},
          {"host", {{"kernel", kernel}, {"cpu_model", "cpu"}, {"hostname", "h"}}},
          {"targets", {{{"model", "disk"}, {"filesystem", "ext4"}}}},
          {"config_sha256", "abc"},
          {"phases", phases}};
}

const MetricComparison& metric(const Comparison& c, const std::string& name) {
  for (const auto& m : c.metrics)
    if (m.metric == name) return m;
  throw std::runtime_error("no metric " + name);
}

const std::vector<double> kBase{1000, 1004, 996, 1010, 990, 1002, 998, 1006, 994};

std::vector<double> scaled(const std::vector<double>& v, double f) {
  std::vector<double> out;
  for (double x : v)
    out.push_back(x * f);
  return out;
}

}  // namespace

TEST(Compare, IdenticalRunsAreTheSame) {
  const auto c = compare_runs({run_of(kBase)}, {run_of(kBase)}, {});
  ASSERT_EQ(c.metrics.size(), 4u);
  for (const auto& m : c.metrics) {
    EXPECT_EQ(m.verdict, "same") << m.metric;
    EXPECT_DOUBLE_EQ(m.ratio, 1.0);
  }
  EXPECT_FALSE(c.regression());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Compare, TenPercentSlowerWithNineRepetitionsIsWorse) {
  const auto c = compare_runs({run_of(kBase)}, {run_of(scaled(kBase, 0.9))}, {});
  const auto& bw = metric(c, "bytes_per_s");
  EXPECT_EQ(bw.verdict, "worse");
  EXPECT_NEAR(bw.ratio, 0.9, 1e-12);
  EXPECT_NEAR(bw.p, 2.0 / 48620, 1e-12);            // fully separated 9 against 9
  EXPECT_EQ(metric(c, "p99_ns").verdict, "worse");  // latency rose
  EXPECT_TRUE(c.regression());
  // The other way round it is better, and no regression.
  const auto d = compare_runs({run_of(scaled(kBase, 0.9))}, {run_of(kBase)}, {});
  EXPECT_EQ(metric(d, "bytes_per_s").verdict, "better");
  EXPECT_EQ(metric(d, "p50_ns").verdict, "better");
  EXPECT_FALSE(d.regression());
}

TEST(Compare, OverlappingNoiseIsUnknown) {
  const std::vector<double> noisy{1000, 1300, 700, 1250, 800, 1100, 900, 1200, 750};
  const std::vector<double> shifted{880, 1250, 620, 1150, 700, 960, 800, 1300, 640};
  const auto c = compare_runs({run_of(noisy)}, {run_of(shifted)}, {});
  const auto& bw = metric(c, "bytes_per_s");
  EXPECT_LT(bw.ratio, 0.95);  // more than the threshold, down...
  EXPECT_GT(bw.p, 0.05);      // ...but not told apart from the noise
  EXPECT_EQ(bw.verdict, "unknown");
  EXPECT_FALSE(c.regression());
  // One run a side can never be tested: beyond the threshold it is unknown.
  const auto one = compare_runs({run_of({1000})}, {run_of({800})}, {});
  EXPECT_EQ(metric(one, "bytes_per_s").verdict, "unknown");
  EXPECT_EQ(metric(compare_runs({run_of({1000})}, {run_of({990})}, {}), "bytes_per_s").verdict,
            "same");
}

TEST(Compare, ManyMetricsAreCorrectedForChance) {
  // 5 runs against 5, overlapping by one pair: p = 0.0159 alone (U = 1), significant at 0.05...
  const std::vector<double> a{1000, 1010, 1020, 1030, 1040}, b{900, 910, 920, 930, 1005};
  const auto alone = compare_runs({run_of(a)}, {run_of(b)}, {});
  EXPECT_NEAR(metric(alone, "bytes_per_s").p, 4.0 / 252, 1e-12);
  // ...but the phase's 4 metrics are 4 tests, all with that p: Holm makes it 0.063, and a
  // 9 % drop that 4 tests cannot tell from chance is unknown, not a regression.
  EXPECT_NEAR(metric(alone, "bytes_per_s").p_adjusted, 4 * 4.0 / 252, 1e-12);
  EXPECT_EQ(metric(alone, "bytes_per_s").verdict, "unknown");
  EXPECT_FALSE(alone.regression());
}

TEST(Compare, APhaseThatFailsInNewIsARegression) {
  auto next = run_of(kBase);
  for (auto& p : next["phases"])
    p["status"] = "failed";
  const auto c = compare_runs({run_of(kBase)}, {next}, {});
  EXPECT_EQ(c.failed, std::vector<std::string>{"seq"});
  EXPECT_TRUE(c.regression());
  auto other = run_of({1000});
  other["phases"][0]["name"] = "other";
  const auto d = compare_runs({run_of({1000})}, {other}, {});
  EXPECT_EQ(d.unmatched, (std::vector<std::string>{"seq (only in BASE)", "other (only in NEW)"}));
}

TEST(Compare, TheGuardRefusesOtherBuildsAndWarnsOfOtherKernels) {
  auto c = compare_runs({run_of(kBase, "Release")}, {run_of(kBase, "Debug")}, {});
  ASSERT_EQ(c.refusals.size(), 1u);
  EXPECT_EQ(c.refusals[0], "build type differs: \"Release\" against \"Debug\"");
  EXPECT_TRUE(c.metrics.empty());
  CompareOptions force;
  force.force = true;
  c = compare_runs({run_of(kBase, "Release")}, {run_of(kBase, "Debug")}, force);
  EXPECT_TRUE(c.refusals.empty());
  EXPECT_EQ(c.metrics.size(), 4u);
  c = compare_runs({run_of(kBase)}, {run_of(kBase, "Release", "6.18.0")}, {});
  EXPECT_TRUE(c.refusals.empty());
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "kernel differs: \"6.1.0\" against \"6.18.0\"");
  auto other_disk = run_of(kBase);
  other_disk["targets"][0]["model"] = "other disk";
  c = compare_runs({run_of(kBase)}, {other_disk}, {});
  ASSERT_EQ(c.refusals.size(), 1u);
  EXPECT_EQ(c.refusals[0], "target device model differs: \"disk\" against \"other disk\"");
}

TEST(Compare, ReadsFioOutputBesideAnAistorPhase) {
  // One pair of tests/peers/fio_parity.sh's runs (2026-11-22): fio's JSON and aistor's report.
  const std::filesystem::path runs =
      std::filesystem::path(AISTOR_SOURCE_DIR) / "tests/fixtures/compare";
  std::ifstream f(runs / "seqread-fio.json"), a(runs / "seqread-aistor.json");
  const auto fio = nlohmann::json::parse(f);
  ASSERT_TRUE(is_fio_output(fio));
  const auto as_report = report_from_fio(fio);
  const auto& p = as_report["phases"][0];
  EXPECT_EQ(p["name"], "seqread-128k-qd1-psync-direct");
  EXPECT_EQ(p["bytes_per_s"].get<double>(), 870545598.0);  // read.bw_bytes
  EXPECT_NEAR(p["iops"].get<double>(), 6641.735826, 1e-6);
  EXPECT_EQ(p["latency_ns"]["p50"].get<double>(), 148480.0);  // lat_ns percentile 50
  const auto c = compare_runs({fio}, {nlohmann::json::parse(a)}, {});
  ASSERT_EQ(c.metrics.size(), 4u);  // matched by name
  EXPECT_EQ(c.metrics[0].phase, "seqread-128k-qd1-psync-direct");
  EXPECT_EQ(c.warnings.size(), 1u);  // fio carries no metadata
}

TEST(Compare, MarkdownForCiLogs) {
  const auto c = compare_runs({run_of({1000, 1002})}, {run_of({1001, 1003})}, {});
  EXPECT_EQ(render_comparison(c, {}, true),
            "| phase | metric | base | new | ratio | p (Holm) | runs | verdict |\n"
            "|---|---|---:|---:|---:|---:|---:|---|\n"
            "| seq | bytes_per_s | 1001.0 MB/s | 1002.0 MB/s | 1.001 | 1 | 2/2 | same |\n"
            "| seq | iops | 7637 | 7645 | 1.001 | 1 | 2/2 | same |\n"
            "| seq | p50_ns | 99.9 us | 99.8 us | 0.999 | 1 | 2/2 | same |\n"
            "| seq | p99_ns | 299.7 us | 299.4 us | 0.999 | 1 | 2/2 | same |\n"
            "**no regression**: 0 worse, 0 better, 0 unknown of 4 metrics (threshold 5%, alpha "
            "0.05)\n");
}

TEST(Compare, TheCliExitsOneOnARegression) {
  test::ScratchDir dir;
  std::ofstream(dir.path() / "base.json") << run_of(kBase).dump();
  std::ofstream(dir.path() / "new.json") << run_of(scaled(kBase, 0.9)).dump();
  std::ofstream(dir.path() / "debug.json") << run_of(kBase, "Debug").dump();
  const std::string bin = AISTOR_BINARY;
  const auto d = dir.path().string();
  auto r = test::run_command(bin + " compare " + d + "/base.json " + d + "/new.json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("REGRESSION: 4 worse"), std::string::npos) << r.output;
  r = test::run_command(bin + " compare " + d + "/base.json " + d + "/base.json --format md");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = test::run_command(bin + " compare " + d + "/base.json " + d + "/debug.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("refused: build type differs"), std::string::npos) << r.output;
  r = test::run_command(bin + " compare " + d + "/base.json " + d + "/new.json --threshold 20%");
  EXPECT_EQ(r.exit_code, 0) << r.output;  // a 10 % change is under a 20 % threshold
  r = test::run_command(bin + " compare " + d + "/base.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = test::run_command(bin + " compare " + d + "/base.json " + d + "/nope.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot open"), std::string::npos) << r.output;
}

}  // namespace aistor
