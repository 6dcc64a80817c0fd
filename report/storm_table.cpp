#include "report/storm_table.hpp"

#include <fmt/format.h>

#include "core/units.hpp"
#include "report/table_render.hpp"

namespace aistor {
namespace {

std::string storage(const nlohmann::json& j) {
  return j.contains("storage_read_bytes") && j["storage_read_bytes"].is_number()
             ? human_bytes(j["storage_read_bytes"].get<double>())
             : std::string("-");
}

std::vector<std::string> client_row(const nlohmann::json& r) {
  std::string status = r.value("status", "?");
  if (r.contains("error")) status += ": " + r["error"].get<std::string>();
  return {fmt::format("  client {}", r.value("client", 0)),
          seconds_cell(r, "start_s"),
          seconds_cell(r, "first_byte_s"),
          seconds_cell(r, "finish_s"),
          gb_per_s_cell(r, "bytes_per_s"),
          storage(r),
          r.contains("page_cache_fraction") && r["page_cache_fraction"].is_number()
              ? fmt::format("{:.0f}%", r["page_cache_fraction"].get<double>() * 100)
              : std::string("-"),
          status};
}

}  // namespace

std::vector<Table> storm_tables(const std::vector<nlohmann::json>& reports, bool per_client) {
  Table storms{"storm",
               {{"storm phase", "engine", "clients", "model", "min s", "p50 s", "p99 s", "max s",
                 "straggler", "first-done GB/s", "last-done GB/s", "storage read", "status"}},
               4,
               1};
  Table clients{"storm clients",
                {{"client", "start s", "first byte s", "finish s", "GB/s", "storage read",
                  "from cache", "status"}},
                1,
                1};
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "storm") continue;
      const auto& w = p.value("workload_metrics", nlohmann::json());
      if (!w.is_object() || !w.contains("client_rows")) continue;
      const auto c = w.value("completion_s", nlohmann::json::object());
      std::string status = p.value("status", "?");
      if (p.contains("error")) status += ": " + p["error"].get<std::string>();
      const auto& model = w.value("model", nlohmann::json::object());
      storms.rows.push_back(
          {p.value("name", "?"), engine_label(p.value("engine", nlohmann::json())),
           fmt::format("{}{}", w.value("clients", 0), w.value("refresh", false) ? " refresh" : ""),
           human_bytes(model.value("file_bytes", 0.0)), seconds_cell(c, "min"),
           seconds_cell(c, "p50"), seconds_cell(c, "p99"), seconds_cell(c, "max"),
           w.contains("straggler_ratio") ? fmt::format("{:.2f}", w["straggler_ratio"].get<double>())
                                         : std::string("-"),
           gb_per_s_cell(w, "first_done_bytes_per_s"), gb_per_s_cell(w, "last_done_bytes_per_s"),
           storage(w), status});
      if (!per_client) continue;
      clients.rows.push_back({p.value("name", "?")});
      for (const auto& r : w["client_rows"])
        clients.rows.push_back(client_row(r));
    }
  }
  if (storms.empty()) return {};
  std::vector<Table> tables{std::move(storms)};
  if (per_client) tables.push_back(std::move(clients));
  return tables;
}

std::string storm_table(const std::vector<nlohmann::json>& reports, bool per_client) {
  return render(storm_tables(reports, per_client), TableFormat::text);
}

}  // namespace aistor
