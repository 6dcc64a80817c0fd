#include "report/compare.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/median.hpp"
#include "core/units.hpp"
#include "report/fio_import.hpp"
#include "report/mann_whitney.hpp"
#include "report/table_render.hpp"

namespace aistor {
namespace {

struct Metric {
  const char* name;
  bool higher_is_better;
};
constexpr Metric kMetrics[] = {
    {"bytes_per_s", true}, {"iops", true}, {"p50_ns", false}, {"p99_ns", false}};

double value_of(const nlohmann::json& phase, const std::string& metric) {
  if (metric == "p50_ns" || metric == "p99_ns") {
    const auto& lat = phase.value("latency_ns", nlohmann::json::object());
    return lat.value(metric == "p50_ns" ? "p50" : "p99", 0.0);
  }
  return phase.value(metric, 0.0);
}

struct Side {
  std::map<std::string, std::vector<const nlohmann::json*>> ok;  // by phase name
  std::set<std::string> failed;
  std::vector<const nlohmann::json*> reports;  // aistor reports (fio outputs have no metadata)
  bool fio = false;
};

Side pool(const std::vector<nlohmann::json>& docs, std::vector<nlohmann::json>& converted) {
  Side s;
  for (const auto& d : docs) {
    const nlohmann::json* report = &d;
    if (is_fio_output(d)) {
      converted.push_back(report_from_fio(d));
      report = &converted.back();
      s.fio = true;
    } else {
      s.reports.push_back(&d);
    }
    if (!report->contains("phases") || !(*report)["phases"].is_array()) continue;
    for (const auto& p : report->at("phases")) {  // pointers kept: not a copy
      const std::string name = p.value("name", "?");
      if (p.value("status", "") == "ok" && p.contains("bytes_per_s")) {
        s.ok[name].push_back(&p);
      } else {
        s.failed.insert(name);
      }
    }
  }
  return s;
}

// The metadata guard: what makes two runs incomparable (refusals) or worth a second look.
void guard(const Side& base, const Side& next, Comparison& out) {
  if (base.fio || next.fio) {
    out.warnings.push_back(
        "fio output carries no machine metadata: the guard checked only the "
        "aistor reports against each other");
  }
  if (base.reports.empty() || next.reports.empty()) return;
  const nlohmann::json& a = *base.reports.front();
  const nlohmann::json& b = *next.reports.front();
  auto field = [](const nlohmann::json& r, const char* block, const char* key) {
    return r.contains(block) && r[block].is_object() ? r[block].value(key, std::string("?"))
                                                     : std::string("?");
  };
  auto differ = [&](const char* block, const char* key, const char* what, bool refuse) {
    const auto x = field(a, block, key), y = field(b, block, key);
    if (x == y) return;
    (refuse ? out.refusals : out.warnings)
        .push_back(fmt::format("{} differs: \"{}\" against \"{}\"", what, x, y));
  };
  differ("tool", "build_type", "build type", true);
  differ("host", "kernel", "kernel", false);
  differ("host", "cpu_model", "CPU", false);
  differ("host", "hostname", "host", false);
  auto target = [](const nlohmann::json& r, const char* key) {
    const auto& t = r.value("targets", nlohmann::json::array());
    return !t.empty() && t[0].is_object() ? t[0].value(key, std::string("?")) : std::string("?");
  };
  for (const char* key : {"model", "filesystem"}) {
    const auto x = target(a, key), y = target(b, key);
    if (x != y) {
      out.refusals.push_back(
          fmt::format("target {} differs: \"{}\" against \"{}\"",
                      std::string(key) == "model" ? "device model" : "filesystem", x, y));
    }
  }
  if (a.value("config_sha256", "") != b.value("config_sha256", "")) {
    out.warnings.push_back("the configs differ (config_sha256): phases are matched by name");
  }
}

bool higher_is_better(const std::string& metric) {
  for (const Metric& m : kMetrics)
    if (metric == m.name) return m.higher_is_better;
  return true;
}

bool tested(const MetricComparison& m) {
  return m.base.size() >= 2 && m.next.size() >= 2;
}

// Holm-Bonferroni: the i-th smallest of n p-values times (n - i), made non-decreasing.
void adjust_p_values(std::vector<MetricComparison>& metrics) {
  std::vector<MetricComparison*> order;
  for (auto& m : metrics)
    if (tested(m)) order.push_back(&m);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->p < b->p; });
  double running = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    running = std::max(running, static_cast<double>(order.size() - i) * order[i]->p);
    order[i]->p_adjusted = std::min(1.0, running);
  }
}

std::string verdict(const MetricComparison& m, const CompareOptions& o) {
  const double change = m.ratio - 1;
  if (std::abs(change) < o.threshold) return "same";
  if (!tested(m) || m.p_adjusted >= o.alpha) return "unknown";
  return (change > 0) == higher_is_better(m.metric) ? "better" : "worse";
}

}  // namespace

bool Comparison::regression() const {
  return !failed.empty() || std::any_of(metrics.begin(), metrics.end(),
                                        [](const auto& m) { return m.verdict == "worse"; });
}

Comparison compare_runs(const std::vector<nlohmann::json>& base_docs,
                        const std::vector<nlohmann::json>& next_docs,
                        const CompareOptions& options) {
  std::vector<nlohmann::json> converted;
  converted.reserve(base_docs.size() + next_docs.size());  // pointers into it stay valid
  const Side base = pool(base_docs, converted);
  const Side next = pool(next_docs, converted);
  Comparison out;
  guard(base, next, out);
  if (!out.refusals.empty() && !options.force) return out;
  if (options.force) {
    for (auto& r : out.refusals)
      out.warnings.push_back(r + " (compared anyway: --force)");
    out.refusals.clear();
  }
  for (const auto& [name, phases] : base.ok) {
    const auto it = next.ok.find(name);
    if (it == next.ok.end()) {
      if (next.failed.count(name)) {
        out.failed.push_back(name);
      } else {
        out.unmatched.push_back(name + " (only in BASE)");
      }
      continue;
    }
    for (const Metric& metric : kMetrics) {
      MetricComparison m;
      m.phase = name;
      m.metric = metric.name;
      for (const auto* p : phases)
        m.base.push_back(value_of(*p, m.metric));
      for (const auto* p : it->second)
        m.next.push_back(value_of(*p, m.metric));
      m.base_median = median(m.base);
      m.next_median = median(m.next);
      if (m.base_median <= 0 && m.next_median <= 0) continue;  // not measured on either side
      m.ratio = m.base_median > 0 ? m.next_median / m.base_median : 0;
      if (tested(m)) m.p = mann_whitney(m.base, m.next).p;
      out.metrics.push_back(std::move(m));
    }
  }
  adjust_p_values(out.metrics);
  for (auto& m : out.metrics)
    m.verdict = verdict(m, options);
  for (const auto& [name, phases] : next.ok) {
    if (!base.ok.count(name)) out.unmatched.push_back(name + " (only in NEW)");
  }
  return out;
}

std::string render_comparison(const Comparison& c, const CompareOptions& options, bool markdown) {
  std::string out;
  for (const auto& r : c.refusals)
    out += fmt::format("refused: {}\n", r);
  if (!c.refusals.empty()) {
    return out + "not compared: these runs are not comparable (--force compares them anyway)\n";
  }
  std::vector<std::vector<std::string>> rows{
      {"phase", "metric", "base", "new", "ratio", "p (Holm)", "runs", "verdict"}};
  auto shown = [](const std::string& metric, double v) {
    if (metric == "bytes_per_s") return fmt::format("{:.1f} MB/s", v / 1e6);
    if (metric == "iops") return fmt::format("{:.0f}", v);
    return human_ns(v);
  };
  for (const auto& m : c.metrics) {
    rows.push_back({m.phase, m.metric, shown(m.metric, m.base_median),
                    shown(m.metric, m.next_median), fmt::format("{:.3f}", m.ratio),
                    tested(m) ? fmt::format("{:.3g}", m.p_adjusted) : "-",
                    fmt::format("{}/{}", m.base.size(), m.next.size()), m.verdict});
  }
  if (markdown) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out += "| " + fmt::format("{}", fmt::join(rows[i], " | ")) + " |\n";
      if (i == 0) out += "|---|---|---:|---:|---:|---:|---:|---|\n";
    }
  } else {
    out += render_table(rows, 2, 1);
  }
  const char* bullet = markdown ? "- " : "";
  for (const auto& f : c.failed)
    out += fmt::format("{}failed in NEW (ok in BASE): {}\n", bullet, f);
  for (const auto& u : c.unmatched)
    out += fmt::format("{}not compared: {}\n", bullet, u);
  for (const auto& w : c.warnings)
    out += fmt::format("{}warning: {}\n", bullet, w);
  std::size_t worse = 0, better = 0, unknown = 0;
  for (const auto& m : c.metrics) {
    worse += m.verdict == "worse";
    better += m.verdict == "better";
    unknown += m.verdict == "unknown";
  }
  const std::string head = c.regression() ? "REGRESSION" : "no regression";
  out += fmt::format(
      "{}: {} worse, {} better, {} unknown of {} metrics (threshold {:g}%, alpha {:g})\n",
      markdown ? "**" + head + "**" : head, worse, better, unknown, c.metrics.size(),
      options.threshold * 100, options.alpha);
  return out;
}

}  // namespace aistor
