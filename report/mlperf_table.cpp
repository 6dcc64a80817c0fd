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
      const bool training = p.value("workload", "") == "samples";
      runs.rows.push_back(
          {preset, run, training ? number(w, "accelerators", "{:.0f}") : "-",
           training ? number(w, "au", "{:.3f}") : "-",
           training ? number(m, "au_goal", "{:.2f}") : "-",
           training ? number(w, "samples_per_s", "{:.1f}") : "-",
           training && w.contains("delivered_bytes_per_s") && w["delivered_bytes_per_s"].is_number()
               ? fmt::format("{:.1f}", w["delivered_bytes_per_s"].get<double>() / 1e6)
               : "-",
           training ? "-" : short_size(p.value("bytes", std::uint64_t{0})),
           number(p, "duration_s", "{:.3f}"),
           training ? "-"
                    : (p.contains("bytes_per_s") && p["bytes_per_s"].is_number()
                           ? fmt::format("{:.2f}", p["bytes_per_s"].get<double>() / 1e9)
                           : "-"),
           verdict(p, "source"), verdict(p, "bound"), p.value("status", "")});
    }
    for (const auto& rule : m.value("rules", nlohmann::json::array()))
      rules.rows.push_back(
          {preset, rule.value("rule", ""), rule.value("status", ""), rule.value("figure", "")});
  }
  return {runs, rules};
}

}  // namespace aistor
