#include "report/replay_table.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "core/units.hpp"
#include "report/json_number.hpp"

namespace aistor {
namespace {

std::string engine_of(const nlohmann::json& p) {
  const auto& e = p.value("engine", nlohmann::json::object());
  if (!e.is_object()) return "?";
  std::string s = e.value("name", "?");
  if (e.value("direct", false)) s += "+direct";
  if (e.contains("queue_depth") && e["queue_depth"].is_number() && e["queue_depth"] != 1)
    s += fmt::format(" qd{}", e["queue_depth"].get<long long>());
  return s;
}

std::vector<std::string> row(const nlohmann::json& p, const std::string& role, double base) {
  const auto& w = p.value("workload_metrics", nlohmann::json::object());
  const double bps = number_at(p, {"bytes_per_s"});
  return {p.value("name", "?"),
          role,
          engine_of(p),
          p.contains("io_pattern") && p["io_pattern"].is_object()
              ? p["io_pattern"].value("summary", "-")
              : "-",
          number_cell(number_at(p, {"ops"}), "{:.0f}"),
          number_cell(bps < 0 ? -1 : bps / 1e6, "{:.1f}"),
          base > 0 && bps >= 0 ? fmt::format("{:.3f}", bps / base) : "-",
          number_cell(number_at(p, {"iops"}), "{:.0f}"),
          ns_cell(number_at(p, {"latency_ns", "p50"})),
          ns_cell(number_at(p, {"latency_ns", "p99"})),
          number_cell(number_at(w, {"issue_lag", "p99_us"}), "{:.1f} us"),
          number_cell(number_at(w, {"rate_vs_recorded"}), "{:.3f}"),
          p.value("status", "?")};
}

// A report's phases, by reference (a pointer to one outlives the loop that found it).
const nlohmann::json& phases_of(const nlohmann::json& report) {
  static const nlohmann::json none = nlohmann::json::array();
  const auto it = report.find("phases");
  return it != report.end() && it->is_array() ? *it : none;
}

// The phase that wrote `source` (its trace's path), in any report; null when none.
const nlohmann::json* recording_of(const std::vector<nlohmann::json>& reports,
                                   const std::string& source) {
  const nlohmann::json* found = nullptr;
  for (const auto& r : reports) {
    for (const auto& p : phases_of(r)) {
      if (p.contains("trace") && p["trace"].is_object() && p["trace"].value("path", "") == source)
        found = &p;  // the last one: a trace rewritten is the newest recording's
    }
  }
  return found;
}

}  // namespace

Table replay_table(const std::vector<nlohmann::json>& reports) {
  Table t{"replay",
          {{"phase", "role", "engine", "pattern", "ops", "MB/s", "x recorded", "IOPS", "p50", "p99",
            "issue lag p99", "rate x recorded", "status"}},
          4,
          2};
  std::vector<const nlohmann::json*> shown;
  for (const auto& r : reports) {
    for (const auto& p : phases_of(r)) {
      if (p.value("workload", "") != "replay") continue;
      const auto& w = p.value("workload_metrics", nlohmann::json::object());
      if (!w.is_object() || !w.contains("trace")) continue;
      const auto& trace = w["trace"];
      const nlohmann::json* rec = recording_of(reports, trace.value("source", ""));
      double base = -1;
      if (rec != nullptr) {
        base = number_at(*rec, {"bytes_per_s"});
        if (std::find(shown.begin(), shown.end(), rec) == shown.end()) {
          shown.push_back(rec);
          t.rows.push_back(row(*rec, "recorded", -1));
        }
      }
      t.rows.push_back(row(p, fmt::format("replayed {}", w.value("timing", "?")), base));
    }
  }
  return t;
}

}  // namespace aistor
