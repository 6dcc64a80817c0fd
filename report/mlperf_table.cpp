#include "report/mlperf_table.hpp"

#include <fmt/format.h>

#include "core/units.hpp"

namespace aistor {
namespace {

std::string number(const nlohmann::json& j, const char* key, const char* format) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return "-";
  return fmt::format(fmt::runtime(format), j[key].get<double>());
}

std::string verdict(const nlohmann::json& p, const char* key) {
  return p.contains("verdict") ? p["verdict"].value(key, "") : "";
}

}  // namespace

std::vector<Table> mlperf_tables(const std::vector<nlohmann::json>& reports) {
  Table runs{"mlperf",
             {{"preset", "run", "accelerators", "AU", "AU goal", "samples/s", "MB/s", "bytes",
               "seconds", "GB/s", "from", "bound", "status"}},
             2,
             3};
  Table rules{"mlperf rules", {{"preset", "rule", "status", "figure"}}, 4, 0};
  for (const auto& r : reports) {
    if (!r.contains("mlperf") || !r["mlperf"].is_object()) continue;
    const auto& m = r["mlperf"];
    const std::string preset = m.value("kind", "") + " " + m.value("preset", "");
    for (const auto& p : r.value("phases", nlohmann::json::array())) {
      std::string run = p.value("name", "");
      if (p.contains("repetition") && p["repetition"].is_number())
        run += fmt::format(" #{}", p["repetition"].get<int>() + 1);
      const auto& w = p.contains("workload_metrics") ? p["workload_metrics"] : nlohmann::json();
      if (!w.is_object()) {  // a phase that failed before its figures
        runs.rows.push_back(
            {preset, run, "-", "-", "-", "-", "-", "-", "-", "-", "", "", p.value("status", "")});
        continue;
      }
      if (p.value("workload", "") == "samples") {
        const auto& mb = w.contains("delivered_bytes_per_s") ? w["delivered_bytes_per_s"] : nullptr;
        runs.rows.push_back({preset, run, number(w, "accelerators", "{:.0f}"),
                             number(w, "au", "{:.3f}"), number(m, "au_goal", "{:.2f}"),
                             number(w, "samples_per_s", "{:.1f}"),
                             mb.is_number() ? fmt::format("{:.1f}", mb.get<double>() / 1e6) : "-",
                             "-", number(w, "seconds", "{:.3f}"), "-", verdict(p, "source"),
                             verdict(p, "bound"), p.value("status", "")});
        continue;
      }
      // MLPerf's checkpoint figures: the slowest rank's time (to durable, or to read back), and
      // every rank's bytes over it.
      const bool save = w.value("op", "") == "save";
      const char* time_key = save ? "time_to_durable_s" : "restore_s";
      const char* rate_key = save ? "durable_bytes_per_s" : "restore_bytes_per_s";
      runs.rows.push_back({preset, run, "-", "-", "-", "-", "-",
                           short_size(w.value("bytes", std::uint64_t{0})),
                           number(w, time_key, "{:.3f}"),
                           w.contains(rate_key) && w[rate_key].is_number()
                               ? fmt::format("{:.2f}", w[rate_key].get<double>() / 1e9)
                               : "-",
                           verdict(p, "source"), verdict(p, "bound"), p.value("status", "")});
    }
    for (const auto& rule : m.value("rules", nlohmann::json::array()))
      rules.rows.push_back(
          {preset, rule.value("rule", ""), rule.value("status", ""), rule.value("figure", "")});
  }
  return {runs, rules};
}

}  // namespace aistor
