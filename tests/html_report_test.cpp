#include "report/html_report.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace aistor {
namespace {

nlohmann::json cell(const std::string& name, int repetition, double rate) {
  return {{"name", name},
          {"workload", "raw"},
          {"status", "ok"},
          {"repetition", repetition},
          {"bytes_per_s", rate},
          {"duration_s", 0.25},
          {"engine", {{"name", "pread"}}},
          {"io_pattern", {{"summary", "r=4K rand"}}},
          {"latency_ns",
           {{"p50", 1000},
            {"p99", 3000},
            {"histogram", {{"bucket_lower_ns_count", {{1000, 90}, {2000, 9}, {3000, 1}}}}}}},
          {"timeseries", {{"interval_s", 0.1}, {"bytes", {1e6, 2e6, 5e5}}}}};
}

nlohmann::json report() {
  nlohmann::json storm{
      {"name", "storm-2"},
      {"workload", "storm"},
      {"status", "ok"},
      {"workload_metrics",
       {{"clients", 2},
        {"client_rows",
         {{{"client", 0}, {"start_s", 0.0}, {"first_byte_s", 0.01}, {"finish_s", 0.5}},
          {{"client", 1}, {"start_s", 0.1}, {"first_byte_s", 0.2}, {"finish_s", 0.9}}}}}}};
  nlohmann::json train{
      {"name", "train"},
      {"workload", "samples"},
      {"status", "ok"},
      {"workload_metrics",
       {{"samples", 10}, {"epochs", {{{"epoch", 0}, {"au", 0.5}}, {{"epoch", 1}, {"au", 0.9}}}}}}};
  return {{"status", "ok"},
          {"phases",
           {cell("rand<b>[pread]", 0, 1e8), cell("rand<b>[pread]", 1, 2e8),
            cell("rand<b>[io_uring]", 0, 4e8), storm, train}}};
}

// (kind, marks) of every chart, in page order.
std::vector<std::pair<std::string, int>> charts(const std::string& html) {
  std::vector<std::pair<std::string, int>> out;
  const std::regex figure(R"re(<figure class="chart" data-kind="(\w+)" data-marks="(\d+)">)re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), figure);
       it != std::sregex_iterator(); ++it)
    out.emplace_back((*it)[1], std::stoi((*it)[2]));
  return out;
}

TEST(HtmlReport, EachKindOfChartWithOneMarkPerSeriesBarOrClient) {
  const auto html = html_report({report()}, {"r.json"});
  const std::vector<std::pair<std::string, int>> expected{
      {"throughput", 1},                 // a small chart for the first repetition of each cell
      {"throughput", 1}, {"matrix", 2},  // two cells of "rand<b>"
      {"au", 2},                         // two epochs
      {"storm", 2},                      // two clients
      {"latency", 2}};                   // one curve per engine
  EXPECT_EQ(charts(html), expected);
}

TEST(HtmlReport, ReadsTopDownWhatFailedThenTheSummaryThenTheCharts) {
  auto r = report();
  r["phases"][1]["status"] = "failed";
  r["phases"][1]["error"] = "open x: <gone>";
  r["phases"][0]["verdict"] = {{"source", "page cache"},
                               {"device_share", 0.0},
                               {"saturated", false},
                               {"bound", "client CPU"}};
  const auto html = html_report({r}, {"r.json"});
  const auto failed = html.find("<h3>Failed or interrupted</h3>");
  const auto summary = html.find("<h3>phases</h3>");
  const auto charts = html.find("<figure");
  ASSERT_NE(failed, std::string::npos);
  EXPECT_LT(failed, summary);
  EXPECT_LT(summary, charts);
  EXPECT_NE(html.find("<li><b>rand&lt;b&gt;[pread]</b>: failed: open x: &lt;gone&gt;</li>"),
            std::string::npos);
  EXPECT_NE(html.find("<th>from</th><th>bound</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>page cache</td><td>client CPU</td>"), std::string::npos);
  const auto ok = html_report({report()}, {"r.json"});
  EXPECT_NE(ok.find("<p class=\"ok\">All 5 phases ended ok.</p>"), std::string::npos);
}

TEST(HtmlReport, SelfContainedAndEscaped) {
  const auto html = html_report({report()}, {"r.json"});
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("rand&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  // The only URL is SVG's namespace name, which is never fetched.
  EXPECT_EQ(std::regex_replace(html, std::regex("http://www.w3.org/2000/svg"), "").find("http"),
            std::string::npos);
}

TEST(HtmlReport, AReplaysLatencyCurveIsOnItsRecordingsChart) {
  nlohmann::json rec = cell("mix", 0, 1e8);
  rec["trace"] = {{"path", "t/mix.trace"}};
  nlohmann::json rep = cell("mix-replayed", 0, 1e8);
  rep["workload"] = "replay";
  rep["workload_metrics"] = {{"trace", {{"source", "t/mix.trace"}}}};
  nlohmann::json other = cell("other-replay", 0, 1e8);
  other["workload"] = "replay";
  other["workload_metrics"] = {{"trace", {{"source", "elsewhere.trace"}}}};
  const nlohmann::json r{{"status", "ok"}, {"phases", {rec, rep, other}}};
  const auto html = html_report({r}, {"r.json"});
  std::vector<std::pair<std::string, int>> latency;
  for (const auto& c : charts(html)) {
    if (c.first == "latency") latency.push_back(c);
  }
  // The recording and its replay on one chart; a replay of a trace not recorded here alone.
  const std::vector<std::pair<std::string, int>> expected{{"latency", 2}, {"latency", 1}};
  EXPECT_EQ(latency, expected);
  EXPECT_NE(html.find("Latency percentiles: mix (recorded and replayed)"), std::string::npos);
}

TEST(HtmlReport, AReportWithoutFiguresHasNoCharts) {
  const auto html = html_report({{{"phases", nlohmann::json::array()}}}, {"empty.json"});
  EXPECT_TRUE(charts(html).empty());
  EXPECT_NE(html.find("<h2>empty.json</h2>"), std::string::npos);
}

}  // namespace
}  // namespace aistor
