#include "report/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/median.hpp"
#include "report/html_page.hpp"
#include "report/side_by_side.hpp"
#include "report/storm_table.hpp"
#include "report/svg_chart.hpp"
#include "report/table.hpp"

namespace aistor {
namespace {

// What the report's page adds to the shared styles (report/html_page.cpp).
constexpr const char* kStyle =
    R"(div.small{display:flex;flex-wrap:wrap;gap:4px 18px}div.small figure.chart{margin:4px 0}
div.small figcaption{font-size:12px;max-width:340px;overflow:hidden;text-overflow:ellipsis}
ul.failed{color:#b00020;font-size:13px}p.ok{color:#2a7a2a;font-size:13px}
)";

std::string html_table(const Table& t) {
  std::string s = "<table>\n";
  const std::size_t columns = t.rows.empty() ? 0 : t.rows[0].size();
  for (std::size_t k = 0; k < t.rows.size(); ++k) {
    s += "<tr>";
    for (std::size_t i = 0; i < columns; ++i) {
      const std::string cell = i < t.rows[k].size() ? t.rows[k][i] : std::string();
      const bool number = i >= t.lead && i + t.trail < columns;
      s += k == 0 ? "<th>" + escape_xml(cell) + "</th>"
                  : std::string(number ? "<td class=\"n\">" : "<td>") + escape_xml(cell) + "</td>";
    }
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string figure(const std::string& kind, const std::string& caption, const Chart& chart) {
  return fmt::format(
      "<figure class=\"chart\" data-kind=\"{}\" data-marks=\"{}\"><figcaption>{}</figcaption>\n{}"
      "</figure>\n",
      kind, chart.marks, escape_xml(caption), chart.svg);
}

const nlohmann::json& phases_of(const nlohmann::json& report) {
  static const nlohmann::json none = nlohmann::json::array();
  return report.contains("phases") && report["phases"].is_array() ? report["phases"] : none;
}

bool first_repetition(const nlohmann::json& p) {
  return p.value("repetition", 0) == 0;
}

// "seq-read[io_uring(queue_depth=32)]" -> "seq-read": the phase a matrix expanded into cells.
std::string base_name(const std::string& name) {
  return name.substr(0, name.find('['));
}

// MB/s per interval of each phase's timeseries (the last interval by its true length): one small
// chart per phase, side by side.
std::string throughput_charts(const nlohmann::json& report) {
  std::string out;
  for (const auto& p : phases_of(report)) {
    if (!first_repetition(p) || !p.contains("timeseries")) continue;
    const auto& ts = p["timeseries"];
    const double interval = ts.value("interval_s", 0.0);
    const auto& bytes = ts.value("bytes", nlohmann::json::array());
    if (interval <= 0 || bytes.empty()) continue;
    Series s{p.value("name", "?"), {}, false, {}};
    const double duration = p.value("duration_s", interval * static_cast<double>(bytes.size()));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const double start = interval * static_cast<double>(i);
      const double width = i + 1 == bytes.size() ? duration - start : interval;
      if (width <= interval * 0.05) continue;  // a sliver at the end says nothing about rate
      s.points.emplace_back(start + width, bytes[i].get<double>() / width / 1e6);
    }
    if (s.points.empty()) continue;
    out += figure(
        "throughput", s.name,
        small_line_chart(s, Axis{"seconds into the phase", false, {}}, Axis{"MB/s", false, {}}));
  }
  if (out.empty()) return {};
  return "<h3>Throughput over time (first repetition of each phase)</h3>\n<div class=\"small\">" +
         out + "</div>\n";
}

// What did not end ok, first: each failed or interrupted phase with its error.
std::string failures(const nlohmann::json& report) {
  std::string items;
  std::size_t total = 0;
  for (const auto& p : phases_of(report)) {
    ++total;
    const std::string status = p.value("status", "?");
    if (status == "ok") continue;
    items += fmt::format("<li><b>{}</b>: {}{}</li>\n", escape_xml(p.value("name", "?")),
                         escape_xml(status),
                         p.contains("error") && p["error"].is_string()
                             ? ": " + escape_xml(p["error"].get<std::string>())
                             : std::string());
  }
  if (items.empty()) return fmt::format("<p class=\"ok\">All {} phases ended ok.</p>\n", total);
  return "<h3>Failed or interrupted</h3>\n<ul class=\"failed\">\n" + items + "</ul>\n";
}

// x: the percentile as "nines" (-log10(1 - p)), so 90, 99, 99.9 are evenly spaced.
Series percentile_curve(const std::string& name, const nlohmann::json& histogram) {
  Series s{name, {}, false, {}};
  const auto& buckets = histogram.value("bucket_lower_ns_count", nlohmann::json::array());
  double total = 0;
  for (const auto& b : buckets)
    total += b[1].get<double>();
  if (total <= 0) return s;
  double seen = 0;
  for (const auto& b : buckets) {
    seen += b[1].get<double>();
    const double tail = std::max(1 - seen / total, 0.5 / total);
    s.points.emplace_back(-std::log10(tail), b[0].get<double>() / 1e3);
  }
  return s;
}

// The chart a phase's latency curve goes on: its matrix's; a replay's goes on the chart of the
// phase that recorded its trace, when that phase is in the report (matched by the trace's path).
std::string chart_of(const nlohmann::json& p, const std::map<std::string, std::string>& recorded) {
  const auto& w = p.value("workload_metrics", nlohmann::json::object());
  if (p.value("workload", "") == "replay" && w.is_object() && w.contains("trace") &&
      w["trace"].is_object()) {
    const auto it = recorded.find(w["trace"].value("source", ""));
    if (it != recorded.end()) return it->second;
  }
  return base_name(p.value("name", "?"));
}

std::string latency_charts(const nlohmann::json& report) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<Series>> groups;
  std::map<std::string, std::string> recorded;  // trace path -> its recording's chart
  std::set<std::string> replayed;               // charts with a replay on them
  for (const auto& p : phases_of(report)) {
    if (p.contains("trace") && p["trace"].is_object())
      recorded[p["trace"].value("path", "")] = base_name(p.value("name", "?"));
  }
  for (const auto& p : phases_of(report)) {
    if (!first_repetition(p) || !p.contains("latency_ns") || !p["latency_ns"].contains("histogram"))
      continue;
    const std::string name = p.value("name", "?");
    auto curve = percentile_curve(name, p["latency_ns"]["histogram"]);
    if (curve.points.empty()) continue;
    const auto base = chart_of(p, recorded);
    if (p.value("workload", "") == "replay") replayed.insert(base);
    if (!groups.contains(base)) order.push_back(base);
    groups[base].push_back(std::move(curve));
  }
  const Axis x{"percentile",
               false,
               {{0, "0"},
                {std::log10(2), "50"},
                {1, "90"},
                {2, "99"},
                {3, "99.9"},
                {4, "99.99"},
                {5, "99.999"}}};
  std::string s;
  for (const auto& base : order) {
    s += figure("latency",
                fmt::format("Latency percentiles: {} ({})", base,
                            replayed.contains(base) ? "recorded and replayed" : "per engine"),
                line_chart(groups[base], x, Axis{"latency (µs)", true, {}}));
  }
  return s;
}

// Median MB/s of each cell of a matrix (min-max over repetitions as a whisker).
std::string matrix_charts(const nlohmann::json& report) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> cells;
  std::map<std::string, std::vector<double>> rates;
  for (const auto& p : phases_of(report)) {
    if (p.value("status", "") != "ok" || !p.contains("bytes_per_s")) continue;
    const std::string name = p.value("name", "?");
    const auto base = base_name(name);
    if (!cells.contains(base)) order.push_back(base);
    auto& c = cells[base];
    if (std::find(c.begin(), c.end(), name) == c.end()) c.push_back(name);
    rates[name].push_back(p["bytes_per_s"].get<double>() / 1e6);
  }
  std::string s;
  for (const auto& base : order) {
    if (cells[base].size() < 2) continue;
    std::vector<Bar> bars;
    for (const auto& name : cells[base]) {
      const auto& v = rates[name];
      const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      const auto cell = name.substr(base.size());
      bars.push_back({cell.empty() ? name : cell, median(v), *lo, *hi});
    }
    s += figure("matrix", fmt::format("{}: MB/s by engine and parameters (median, min-max)", base),
                bar_chart(bars, Axis{"MB/s", false, {}}));
  }
  return s;
}

std::string storm_charts(const nlohmann::json& report) {
  std::string s;
  for (const auto& p : phases_of(report)) {
    if (!first_repetition(p) || p.value("workload", "") != "storm") continue;
    const auto& w = p.value("workload_metrics", nlohmann::json());
    if (!w.is_object() || !w.contains("client_rows")) continue;
    std::vector<Span> spans;
    for (const auto& r : w["client_rows"]) {
      if (!r.contains("finish_s") || !r["finish_s"].is_number()) continue;
      spans.push_back({fmt::format("client {}", r.value("client", 0)), r.value("start_s", 0.0),
                       r.value("first_byte_s", 0.0), r["finish_s"].get<double>()});
    }
    if (spans.empty()) continue;
    s += figure("storm",
                fmt::format("{}: each client from start to finish (the tick: its first byte)",
                            p.value("name", "?")),
                span_chart(spans, Axis{"seconds since the storm began", false, {}}));
  }
  return s;
}

std::string au_chart(const nlohmann::json& report) {
  std::vector<Bar> bars;
  for (const auto& p : phases_of(report)) {
    if (!first_repetition(p) || p.value("workload", "") != "samples") continue;
    const auto& w = p.value("workload_metrics", nlohmann::json());
    if (!w.is_object() || !w.contains("epochs")) continue;
    for (const auto& e : w["epochs"]) {
      if (!e.contains("au") || !e["au"].is_number()) continue;
      const double au = e["au"].get<double>() * 100;
      bars.push_back(
          {fmt::format("{} epoch {}", p.value("name", "?"), e.value("epoch", 0)), au, au, au});
    }
  }
  if (bars.empty()) return {};
  return figure(
      "au", "Accelerator utilization per epoch",
      bar_chart(bars,
                Axis{"AU (%)",
                     false,
                     {{0, "0"}, {25, "25"}, {50, "50"}, {75, "75"}, {90, "90"}, {100, "100"}}}));
}

std::string meta(const nlohmann::json& r) {
  const auto& tool = r.value("tool", nlohmann::json::object());
  const auto& host = r.value("host", nlohmann::json::object());
  std::string target;
  for (const auto& t : r.value("targets", nlohmann::json::array())) {
    target +=
        fmt::format("{}{} ({} {}, {})", target.empty() ? "" : "; ", t.value("path", "?"),
                    t.value("filesystem", "?"), t.value("device", "?"), t.value("model", "?"));
  }
  return fmt::format(
      "<p class=\"meta\">aistor {} ({}, {}) &middot; {} &middot; {} {} cores, kernel {} &middot; "
      "started {} &middot; status {}<br>target: {}</p>\n",
      escape_xml(tool.value("version", "?")), escape_xml(tool.value("git_sha", "?")),
      escape_xml(tool.value("build_type", "?")), escape_xml(host.value("hostname", "?")),
      escape_xml(host.value("cpu_model", "?")), host.value("cores", 0),
      escape_xml(host.value("kernel", "?")), escape_xml(r.value("started_at", "?")),
      escape_xml(r.value("status", "?")), escape_xml(target.empty() ? "?" : target));
}

}  // namespace

std::string html_report(const std::vector<nlohmann::json>& reports,
                        const std::vector<std::string>& names) {
  std::string s = html_page_open("aistor report", kStyle);
  if (const auto side = side_by_side_table(reports); !side.empty()) {
    s += "<h2>Side by side by target</h2>\n" + html_table(side);
  }
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    s += fmt::format("<h2>{}</h2>\n", escape_xml(i < names.size() ? names[i] : "report"));
    s += meta(r);
    // Top-down: what failed, the summary (where the bytes came from, what bound each phase),
    // then the charts, then the workloads' own tables.
    s += failures(r);
    auto tables = summary_tables(r);
    for (auto& t : storm_tables({r}, true))
      if (t.title == "storm clients") tables.push_back(std::move(t));
    auto table_html = [](const Table& t) {
      return t.empty() ? std::string()
                       : fmt::format("<h3>{}</h3>\n", escape_xml(t.title)) + html_table(t);
    };
    if (!tables.empty()) s += table_html(tables.front());
    s += throughput_charts(r);
    s += matrix_charts(r);
    s += au_chart(r);
    s += storm_charts(r);
    s += latency_charts(r);
    for (std::size_t t = 1; t < tables.size(); ++t)
      s += table_html(tables[t]);
  }
  return s + html_page_close();
}

}  // namespace aistor
