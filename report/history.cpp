#include "report/history.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/median.hpp"

#include "report/mann_whitney.hpp"

namespace aistor {
namespace {

struct MetricSpec {
  const char* name;
  bool higher_is_better;
  double (*get)(const nlohmann::json&);
};

double at(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

const MetricSpec kMetrics[] = {
    {"bytes_per_s", true, [](const nlohmann::json& p) { return at(p, "bytes_per_s"); }},
    {"iops", true, [](const nlohmann::json& p) { return at(p, "iops"); }},
    {"p50_ns", false,
     [](const nlohmann::json& p) {
       return p.contains("latency_ns") ? at(p["latency_ns"], "p50") : NAN;
     }},
    {"p99_ns", false,
     [](const nlohmann::json& p) {
       return p.contains("latency_ns") ? at(p["latency_ns"], "p99") : NAN;
     }},
};

}  // namespace

double history_noise(std::span<const double> values) {
  std::vector<double> ratios;
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i - 1] > 0) ratios.push_back(values[i] / values[i - 1] - 1);
  }
  if (ratios.size() < 2) return 0;
  const double mid = median(ratios);
  std::vector<double> dev;
  for (double r : ratios)
    dev.push_back(std::abs(r - mid));
  return 1.4826 * median(dev) / std::sqrt(2.0);
}

std::size_t least_before(const HistoryOptions& o) {
  // The exact test's smallest two-sided p, 2 / C(n + after, after), must be able to go below
  // alpha: with 3 nights after and alpha 0.01 that takes 9 before.
  std::size_t n = std::max<std::size_t>(o.min_before, 1);
  for (;; ++n) {
    double ways = 1;
    for (unsigned k = 1; k <= o.after; ++k)
      ways = ways * static_cast<double>(n + k) / k;
    if (2 / ways < o.alpha || n > 10000) return n;
  }
}

std::vector<ChangePoint> find_changes(std::span<const double> values, bool higher_is_better,
                                      const HistoryOptions& o) {
  std::vector<ChangePoint> out;
  const std::size_t min_before = least_before(o);
  std::size_t level_start = 0;  // the first night of the current level
  for (std::size_t t = 0; t < values.size(); ++t) {
    if (t + 1 < o.after) continue;
    const std::size_t c = t + 1 - o.after;
    const std::size_t window = std::max<std::size_t>(o.window, min_before);
    const std::size_t from = std::max<std::size_t>(level_start, c >= window ? c - window : 0);
    if (c < from + min_before) continue;
    const auto before = values.subspan(from, c - from);
    const auto after = values.subspan(c, o.after);
    const double b = median(std::vector<double>(before.begin(), before.end()));
    const double a = median(std::vector<double>(after.begin(), after.end()));
    if (!(b > 0)) continue;
    const double ratio = a / b;
    if (std::abs(ratio - 1) < o.threshold) continue;
    // Sustained: every night after is on the new side of the old median by half the threshold
    // (two bad nights and a normal one are noise, not a step).
    const bool down = ratio < 1;
    if (!std::all_of(after.begin(), after.end(), [&](double v) {
          return down ? v <= b * (1 - o.threshold / 2) : v >= b * (1 + o.threshold / 2);
        }))
      continue;
    const MannWhitney mw = mann_whitney(before, after);
    if (mw.p >= o.alpha) continue;
    out.push_back({c, t, ratio, mw.p, higher_is_better ? ratio < 1 : ratio > 1});
    level_start = c;
  }
  return out;
}

std::vector<MetricHistory> build_history(std::span<const nlohmann::json> reports,
                                         const HistoryOptions& options) {
  // phase -> metric -> night -> the runs' values.
  std::vector<std::string> order;
  std::map<std::string, std::map<std::size_t, std::vector<const nlohmann::json*>>> runs;
  for (std::size_t night = 0; night < reports.size(); ++night) {
    const auto it = reports[night].find("phases");
    if (it == reports[night].end() || !it->is_array()) continue;
    for (const auto& p : *it) {
      if (!p.is_object() || p.value("status", "") != "ok" || !p.contains("bytes_per_s")) continue;
      const std::string name = p.value("name", "?");
      if (!runs.contains(name)) order.push_back(name);
      runs[name][night].push_back(&p);
    }
  }
  std::vector<MetricHistory> out;
  for (const auto& name : order) {
    for (const auto& m : kMetrics) {
      MetricHistory h{name, m.name, m.higher_is_better, {}, {}, 0, false, {}};
      for (const auto& [night, ps] : runs[name]) {
        std::vector<double> v;
        for (const auto* p : ps) {
          const double x = m.get(*p);
          if (std::isfinite(x)) v.push_back(x);
        }
        if (v.empty()) continue;
        h.nights.push_back(night);
        h.values.push_back(median(v));
      }
      if (h.values.empty()) continue;
      h.noise = history_noise(h.values);
      h.unstable = h.noise >= options.threshold;
      h.changes = find_changes(h.values, h.higher_is_better, options);
      out.push_back(std::move(h));
    }
  }
  return out;
}

}  // namespace aistor
