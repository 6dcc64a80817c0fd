#include "report/table_registry.hpp"

#include "report/kv_cache_table.hpp"
#include "report/mlperf_table.hpp"
#include "report/packing_table.hpp"
#include "report/ranks_table.hpp"
#include "report/replay_table.hpp"
#include "report/side_by_side.hpp"
#include "report/storm_table.hpp"
#include "report/vector_search_table.hpp"

namespace aistor {
namespace {

using Reports = std::vector<nlohmann::json>;

NamedTable one(std::string name, Table (*make)(const Reports&), std::string when_empty) {
  return {std::move(name), [make](const Reports& r) { return std::vector<Table>{make(r)}; },
          std::move(when_empty)};
}

std::string no_phases(std::string_view what) {
  return "no " + std::string(what) + " phases in the reports";
}

}  // namespace

const std::vector<NamedTable>& named_tables() {
  static const std::vector<NamedTable> all{
      one("phases", phase_table, no_phases("phases")),
      one("training", training_table, no_phases("training")),
      one("checkpoint", checkpoint_table, no_phases("checkpoint")),
      {"kv-cache", [](const Reports& r) { return kv_cache_tables(r); }, no_phases("kv-cache")},
      {"mlperf", [](const Reports& r) { return mlperf_tables(r); },
       "no reports made by aistor mlperf"},
      one("vector-search", vector_search_table, no_phases("vector-search")),
      one("replay", replay_table, no_phases("replay")),
      one("ollama-load", model_load_table, no_phases("model-load")),
      one("model-load", model_load_table, no_phases("model-load")),
      {"storm", [](const Reports& r) { return storm_tables(r, true); }, no_phases("storm")},
      {"ranks", [](const Reports& r) { return ranks_tables(r, true); }, no_phases("ranks")},
      {"packing", [](const Reports& r) { return packing_tables(r); }, no_phases("packing")},
      one("side-by-side", side_by_side_table,
          "side-by-side needs two or more reports whose targets differ"),
  };
  return all;
}

const NamedTable* find_table(std::string_view name) {
  for (const auto& t : named_tables()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace aistor
