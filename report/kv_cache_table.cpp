#include "report/kv_cache_table.hpp"

#include <fmt/format.h>

#include "core/units.hpp"
#include "report/json_number.hpp"

namespace aistor {
namespace {

std::string gbps_cell(double bytes_per_s) {
  return bytes_per_s < 0 ? "-" : fmt::format("{:.2f}", bytes_per_s / 1e9);
}

std::vector<std::string> phase_row(const nlohmann::json& p, const nlohmann::json& w) {
  const auto& model = w.value("model", nlohmann::json::object());
  const auto& block = w.value("block_tokens", nlohmann::json());
  // Under mpirun: the slowest rank's p95.
  const double storage_p95 = w.contains("max_rank_p95_ns")
                                 ? number_at(w, {"max_rank_p95_ns", "request_storage"})
                                 : number_at(w, {"request_storage_ns", "p95"});
  return {p.value("name", "?"),
          model.value("name", "?"),
          block.is_number() ? fmt::format("{} tok", block.get<int>()) : "request",
          std::to_string(w.value("users", 0)),
          fmt::format("{:.1f}", w.value("requests_per_s", 0.0)),
          fmt::format("{:.1f}%", w.value("hit_rate", 0.0) * 100),
          gbps_cell(number_at(w, {"storage_read_bytes_per_s"})),
          gbps_cell(number_at(w, {"storage_write_bytes_per_s"})),
          ns_cell(number_at(w, {"prefix_load_ns", "p50"})),
          ns_cell(number_at(w, {"prefix_load_ns", "p95"})),
          ns_cell(storage_p95),
          fmt::format("{:.0f}", w.value("cached_tokens_per_s", 0.0)),
          p.value("status", "?")};
}

std::vector<std::string> tier_row(const std::string& phase, const std::string& name,
                                  const nlohmann::json& t) {
  const auto bytes = [&](const char* k) { return human_bytes(t.value(k, 0.0)); };
  const auto& budget = t.value("budget_bytes", nlohmann::json(0));
  return {phase,
          name,
          budget.is_string() ? budget.get<std::string>() : human_bytes(budget.get<double>()),
          bytes("peak_used_bytes"),
          std::to_string(t.value("hits", 0)),
          bytes("read_bytes"),
          bytes("write_bytes"),
          std::to_string(t.value("moved_in", 0)),
          std::to_string(t.value("moved_out", 0)),
          std::to_string(t.value("dropped", 0)),
          ns_cell(number_at(t, {"read_ns", "p95"})),
          ns_cell(number_at(t, {"write_ns", "p95"}))};
}

}  // namespace

std::vector<Table> kv_cache_tables(const std::vector<nlohmann::json>& reports) {
  Table phases{
      "kv-cache",
      {{"kv-cache phase", "model", "entry", "users", "req/s", "hits", "read GB/s", "write GB/s",
        "prefix p50", "prefix p95", "storage p95", "cached tok/s", "status"}},
      3,
      1};
  Table tiers{"kv-cache tiers",
              {{"kv-cache phase", "tier", "budget", "peak", "hits", "read", "written", "moved in",
                "moved out", "dropped", "read p95", "write p95"}},
              2,
              2};
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "kv-cache") continue;
      const auto& w = p.value("workload_metrics", nlohmann::json());
      if (!w.is_object() || !w.contains("tiers") || !w["tiers"].is_object()) continue;
      phases.rows.push_back(phase_row(p, w));
      for (const char* tier : {"gpu", "host", "storage"}) {
        const auto& x = w["tiers"].value(tier, nlohmann::json());
        if (!x.is_object()) continue;
        const auto budget = x.value("budget_bytes", nlohmann::json(0));
        if (budget.is_number() && budget.get<double>() == 0) continue;  // a skipped tier
        tiers.rows.push_back(tier_row(p.value("name", "?"), tier, x));
      }
    }
  }
  return {phases, tiers};
}

}  // namespace aistor
