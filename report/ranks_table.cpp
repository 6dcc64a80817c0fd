#include "report/ranks_table.hpp"

#include <fmt/format.h>

#include "core/units.hpp"

namespace aistor {
namespace {

std::string with_error(const nlohmann::json& j) {
  std::string status = j.value("status", "?");
  if (j.contains("error") && j["error"].is_string()) status += ": " + j["error"].get<std::string>();
  return status;
}

}  // namespace

std::vector<Table> ranks_tables(const std::vector<nlohmann::json>& reports, bool per_rank) {
  Table phases{"ranks",
               {{"phase", "workload", "ranks", "completed", "GB/s", "first-done s", "last-done s",
                 "straggler", "slowest", "status"}},
               2,
               2};
  Table ranks{"rank rows", {{"rank", "host", "finish s", "GB/s", "bytes", "status"}}, 2, 1};
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      if (!p.contains("across_ranks") || !p["across_ranks"].is_object()) continue;
      const auto& a = p["across_ranks"];
      const auto& slow = a.value("slowest", nlohmann::json());
      phases.rows.push_back(
          {p.value("name", "?"), p.value("workload", "?"), fmt::format("{}", a.value("ranks", 0)),
           fmt::format("{}", a.value("completed", 0)), gb_per_s_cell(p, "bytes_per_s"),
           seconds_cell(a, "first_done_s"), seconds_cell(a, "last_done_s"),
           a.contains("straggler_ratio") ? fmt::format("{:.2f}", a["straggler_ratio"].get<double>())
                                         : std::string("-"),
           slow.is_object() ? fmt::format("rank {} on {}", slow.value("rank", -1),
                                          slow.value("host", std::string("?")))
                            : std::string("-"),
           with_error(p)});
      if (!per_rank) continue;
      ranks.rows.push_back({p.value("name", "?")});
      for (const auto& r : a.value("rows", nlohmann::json::array())) {
        ranks.rows.push_back({fmt::format("  rank {}", r.value("rank", -1)),
                              r.value("host", std::string("?")), seconds_cell(r, "finish_s"),
                              gb_per_s_cell(r, "bytes_per_s"), human_bytes(r.value("bytes", 0.0)),
                              with_error(r)});
      }
    }
  }
  if (phases.empty()) return {};
  std::vector<Table> tables{std::move(phases)};
  if (per_rank) tables.push_back(std::move(ranks));
  return tables;
}

std::string ranks_table(const std::vector<nlohmann::json>& reports, bool per_rank) {
  return render(ranks_tables(reports, per_rank), TableFormat::text);
}

}  // namespace aistor
