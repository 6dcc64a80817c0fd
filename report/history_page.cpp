#include "report/history_page.hpp"

#include <fmt/format.h>

#include "report/html_page.hpp"
#include "report/svg_chart.hpp"

namespace aistor {
namespace {

// What the history's page adds to the shared styles (report/html_page.cpp).
constexpr const char* kStyle = ".bad{color:#b00020}.good{color:#2a7a2a}\n";

const char* unit_of(const std::string& metric) {
  return metric == "bytes_per_s" ? "MB/s" : metric == "iops" ? "IOPS" : "µs";
}

double scaled(const std::string& metric, double v) {
  return metric == "bytes_per_s" ? v / 1e6 : metric == "iops" ? v : v / 1e3;
}

std::string label(const std::vector<HistoryNight>& nights, std::size_t i) {
  return i < nights.size() ? nights[i].label : fmt::format("night {}", i);
}

std::string chart(const MetricHistory& h, const std::vector<HistoryNight>& nights) {
  Series values{h.metric, {}, false, {}};
  for (std::size_t k = 0; k < h.values.size(); ++k) {
    values.points.emplace_back(static_cast<double>(h.nights[k]), scaled(h.metric, h.values[k]));
    values.links.push_back(h.nights[k] < nights.size() ? nights[h.nights[k]].link : "");
  }
  std::vector<Series> series{values};
  if (!h.changes.empty()) {
    Series marks{"change points", {}, true, {}};
    for (const auto& c : h.changes)
      marks.points.emplace_back(static_cast<double>(h.nights[c.start]),
                                scaled(h.metric, h.values[c.start]));
    series.push_back(std::move(marks));
  }
  const Chart c = line_chart(series, Axis{"night (0: the oldest)", false, {}},
                             Axis{unit_of(h.metric), false, {}});
  return fmt::format(
      "<figure class=\"chart\" data-kind=\"trend\" data-marks=\"{}\"><figcaption>{}: {} (noise "
      "{:.1f} %)</figcaption>\n{}</figure>\n",
      c.marks, escape_xml(h.phase), h.metric, h.noise * 100, c.svg);
}

std::string change_row(const MetricHistory& h, const ChangePoint& c,
                       const std::vector<HistoryNight>& nights) {
  return fmt::format(
      "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n {}\">{:+.1f} %</td>"
      "<td class=\"n\">{:.4f}</td><td>{}</td></tr>\n",
      escape_xml(h.phase), h.metric, escape_xml(label(nights, h.nights[c.start])),
      escape_xml(label(nights, h.nights[c.found_at])), c.regression ? "bad" : "good",
      (c.ratio - 1) * 100, c.p, c.regression ? "regression" : "improvement");
}

}  // namespace

std::vector<std::pair<const MetricHistory*, ChangePoint>> newest_regressions(
    const std::vector<MetricHistory>& history, std::size_t nights) {
  std::vector<std::pair<const MetricHistory*, ChangePoint>> out;
  for (const auto& h : history) {
    if (h.unstable || h.changes.empty() || nights == 0) continue;
    const auto& c = h.changes.back();
    if (c.regression && h.nights[c.found_at] == nights - 1) out.emplace_back(&h, c);
  }
  return out;
}

std::string history_page(const std::vector<MetricHistory>& history,
                         const std::vector<HistoryNight>& nights, const HistoryOptions& o) {
  std::string s = html_page_open("aistor history", kStyle);
  s += fmt::format(
      "<p class=\"meta\">{} nights, {} to {} &middot; change points: the last {} nights against "
      "up to {} before them since the last change, Mann-Whitney U, p &lt; {}, medians at least "
      "{:.0f} % apart</p>\n",
      nights.size(), escape_xml(label(nights, 0)),
      escape_xml(label(nights, nights.empty() ? 0 : nights.size() - 1)), o.after, o.window, o.alpha,
      o.threshold * 100);
  const auto newest = newest_regressions(history, nights.size());
  if (newest.empty()) {
    s += "<p class=\"good\">The newest night starts no regression.</p>\n";
  } else {
    s += "<h2 class=\"bad\">Regressions the newest night starts</h2>\n<ul class=\"bad\">\n";
    for (const auto& [h, c] : newest)
      s += fmt::format("<li>{} {}: {:+.1f} % (p {:.4f}) from {}</li>\n", escape_xml(h->phase),
                       h->metric, (c.ratio - 1) * 100, c.p,
                       escape_xml(label(nights, h->nights[c.start])));
    s += "</ul>\n";
  }
  s += "<h2>Change points</h2>\n<table>\n<tr><th>phase</th><th>metric</th><th>from night</th>"
       "<th>found at</th><th>change</th><th>p</th><th></th></tr>\n";
  for (const auto& h : history) {
    for (const auto& c : h.changes)
      s += change_row(h, c, nights);
  }
  s += "</table>\n<h2>Noise night to night</h2>\n<table>\n<tr><th>phase</th><th>metric</th>"
       "<th>noise</th><th></th></tr>\n";
  for (int unstable = 0; unstable < 2; ++unstable) {
    for (const auto& h : history) {
      if (h.unstable != (unstable == 1)) continue;
      s += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"n\">{:.2f} %</td><td>{}</td></tr>\n",
                       escape_xml(h.phase), h.metric, h.noise * 100,
                       h.unstable ? "unstable: noisier than the threshold, not gated" : "stable");
    }
  }
  s += "</table>\n<h2>Trends</h2>\n";
  for (int unstable = 0; unstable < 2; ++unstable) {
    if (unstable == 1) s += "<h2>Unstable metrics</h2>\n";
    for (const auto& h : history) {
      if (h.unstable == (unstable == 1)) s += chart(h, nights);
    }
  }
  return s + html_page_close();
}

}  // namespace aistor
