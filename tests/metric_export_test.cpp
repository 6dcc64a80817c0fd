#include "report/metric_export.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/test_support.hpp"

namespace aistor {
namespace {

// Two runs of "seq" (a repeated phase), one "rand, \"odd\"" and a failed phase.
std::vector<nlohmann::json> reports() {
  auto phase = [](const char* name, int rep, double rate, double p50) {
    return nlohmann::json{
        {"name", name},
        {"workload", "raw"},
        {"repetition", rep},
        {"status", "ok"},
        {"engine", {{"name", "io_uring"}}},
        {"duration_s", 2.0},
        {"bytes", rate * 2},
        {"read", {{"bytes", rate * 2}}},
        {"write", {{"bytes", 0}}},
        {"bytes_per_s", rate},
        {"iops", rate / 4096},
        {"achieved_queue_depth", 31.5},
        {"latency_ns", {{"p50", p50}, {"p99", p50 * 2}, {"p99_9", p50 * 3}, {"max", p50 * 4}}},
        {"verdict", {{"source", "storage"}, {"device_share", 1.0}, {"bound", "device"}}}};
  };
  nlohmann::json r{{"phases",
                    {phase("seq", 0, 4096e3, 1000),
                     phase("seq", 1, 8192e3, 3000),
                     phase("rand, \"odd\"", 0, 40960, 500),
                     {{"name", "bad"}, {"status", "failed"}, {"error", "open x"}}}}};
  return {r};
}

TEST(MetricExport, BencherMetricFormatWithBoundsForRepeatedPhases) {
  const auto j = nlohmann::json::parse(export_bmf(reports()));
  EXPECT_EQ(j.size(), 2u);  // the failed phase has no figures
  EXPECT_EQ(j["seq"]["bytes-per-second"],
            (nlohmann::json{{"value", 6144e3}, {"lower_value", 4096e3}, {"upper_value", 8192e3}}));
  EXPECT_EQ(j["seq"]["latency-p99"]["value"], 4000.0);
  EXPECT_EQ(j["rand, \"odd\""]["iops"], (nlohmann::json{{"value", 10.0}}));
  // Bencher's shape: benchmark -> measure -> {value, lower_value?, upper_value?}, numbers only.
  for (const auto& [bench, measures] : j.items()) {
    for (const auto& [slug, m] : measures.items()) {
      for (const auto& [k, v] : m.items()) {
        EXPECT_TRUE(k == "value" || k == "lower_value" || k == "upper_value") << k;
        EXPECT_TRUE(v.is_number()) << bench << " " << slug;
      }
    }
  }
}

TEST(MetricExport, GithubActionBenchmarkOneDirectionAFile) {
  const auto bigger = nlohmann::json::parse(export_gab(reports(), true));
  ASSERT_EQ(bigger.size(), 4u);
  EXPECT_EQ(bigger[0], (nlohmann::json{{"name", "seq bytes-per-second"},
                                       {"unit", "bytes/s"},
                                       {"value", 6144e3},
                                       {"range", "4096000-8192000"},
                                       {"extra", "2 runs; engine io_uring"}}));
  const auto smaller = nlohmann::json::parse(export_gab(reports(), false));
  ASSERT_EQ(smaller.size(), 4u);
  EXPECT_EQ(smaller[1]["name"], "seq latency-p99");
  EXPECT_EQ(smaller[1]["unit"], "ns");
  EXPECT_EQ(smaller[1]["value"], 4000.0);
  EXPECT_FALSE(smaller[2].contains("range"));  // one run
}

TEST(MetricExport, OpenMetricsParsedByThePrometheusClient) {
  const std::string text = export_openmetrics(reports());
  EXPECT_NE(text.find("# TYPE aistor_phase_latency_p50_seconds gauge\n"), std::string::npos);
  EXPECT_NE(text.find("aistor_phase_latency_p50_seconds{phase=\"rand, \\\"odd\\\"\",workload="
                      "\"raw\",engine=\"io_uring\",repetition=\"0\"} 5e-07\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
  test::ScratchDir dir;
  test::write_text(dir.path() / "m.txt", text);
  const auto r = test::run_command(
      "/usr/bin/python3 -c \"import sys; from prometheus_client.openmetrics.parser import "
      "text_string_to_metric_families as t; f = list(t(open(sys.argv[1]).read())); "
      "print(len(f), sum(len(x.samples) for x in f))\" " +
      (dir.path() / "m.txt").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "6 18\n");  // 6 gauges x 3 phase runs
}

TEST(MetricExport, RawCsvInBaseUnitsWithTheVerdict) {
  const std::string text = export_csv_raw(reports());
  EXPECT_EQ(text,
            "phase,repetition,workload,engine,status,duration_s,bytes,read_bytes,write_bytes,"
            "bytes_per_s,iops,latency_p50_ns,latency_p99_ns,latency_p999_ns,latency_max_ns,"
            "achieved_queue_depth,source,device_share,bound\n"
            "seq,0,raw,io_uring,ok,2,8192000,8192000,0,4096000,1000,1000,2000,3000,4000,31.5,"
            "storage,1,device\n"
            "seq,1,raw,io_uring,ok,2,16384000,16384000,0,8192000,2000,3000,6000,9000,12000,31.5,"
            "storage,1,device\n"
            "\"rand, \"\"odd\"\"\",0,raw,io_uring,ok,2,81920,81920,0,40960,10,500,1000,1500,2000,"
            "31.5,storage,1,device\n"
            "bad,0,,,failed,,,,,,,,,,,,,,\n");
}

TEST(MetricExport, TheCliWritesEachFormatAndRefusesATable) {
  test::ScratchDir dir;
  const auto path = (dir.path() / "r.json").string();
  test::write_text(path, reports()[0].dump());
  for (const char* f : {"bmf", "gab", "gab-smaller", "openmetrics", "csv-raw"}) {
    const auto r = test::run_command(std::string(AISTOR_BINARY) + " report --format " + f + " " +
                                     path + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << f << ": " << r.output;
    EXPECT_FALSE(r.output.empty()) << f;
  }
  const auto r = test::run_command(std::string(AISTOR_BINARY) + " report --format bmf --table " +
                                   "phases " + path + " 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output,
            "aistor: report: --table does not apply to --format bmf (it exports figures)\n");
}

}  // namespace
}  // namespace aistor
