#include "report/vector_search_table.hpp"

#include <fmt/format.h>

#include "core/units.hpp"
#include "report/json_number.hpp"

namespace aistor {
namespace {

std::vector<std::string> row(const nlohmann::json& p, const nlohmann::json& w) {
  const auto& index = w.value("index", nlohmann::json::object());
  const auto& search = w.value("search", nlohmann::json::object());
  const auto& engine = p.value("engine", nlohmann::json::object());
  std::string eng = engine.is_object() ? engine.value("name", "?") : "?";
  if (engine.is_object() && engine.value("direct", false)) eng += "+direct";
  const double recall = number_at(w, {"recall", "at_k"});
  return {p.value("name", "?"),
          fmt::format("{}x{} {} R{}", index.value("count", 0), index.value("dim", 0),
                      index.value("dtype", "?"), index.value("degree", 0)),
          eng,
          std::to_string(search.value("concurrency", 0)),
          fmt::format("{}/{}", search.value("search_list", 0), search.value("beam_width", 0)),
          number_cell(number_at(w, {"qps"}), "{:.0f}"),
          ns_cell(number_at(w, {"latency", "p50"})),
          ns_cell(number_at(w, {"latency", "p99"})),
          ns_cell(number_at(w, {"latency", "p99_9"})),
          number_cell(number_at(w, {"hops", "mean"}), "{:.1f}"),
          number_cell(number_at(w, {"reads_per_query"}), "{:.1f}"),
          number_cell(number_at(w, {"device", "iops"}), "{:.0f}"),
          number_cell(number_at(w, {"device", "mean_queue_depth"}), "{:.1f}"),
          number_cell(number_at(w, {"io_wait_share"}) * 100, "{:.0f}%"),
          recall < 0 ? "-" : fmt::format("{:.3f}@{}", recall, number_at(w, {"recall", "k"})),
          p.value("status", "?")};
}

}  // namespace

Table vector_search_table(const std::vector<nlohmann::json>& reports) {
  Table t{"vector-search",
          {{"vector-search phase", "index", "engine", "in flight", "L/W", "QPS", "p50", "p99",
            "p99.9", "hops", "reads/q", "IOPS", "QD", "I/O wait", "recall", "status"}},
          3,
          2};
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "vector-search") continue;
      const auto& w = p.value("workload_metrics", nlohmann::json());
      if (!w.is_object() || !w.contains("index")) continue;
      t.rows.push_back(row(p, w));
    }
  }
  return t;
}

}  // namespace aistor
