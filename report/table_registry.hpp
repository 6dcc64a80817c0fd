#pragma once
// The tables `aistor report --table NAME` prints, by name (google/benchmark's CreateReporter way:
// a lookup in the library, not an if-chain in the CLI).
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table.hpp"

namespace aistor {

struct NamedTable {
  std::string name;
  // The tables from every report; empty when the reports hold none of the phases it shows.
  std::function<std::vector<Table>(const std::vector<nlohmann::json>& reports)> make;
  // What to say when make() returns nothing.
  std::string when_empty;
};

// Every named table, in the order `aistor report --help` lists them ("summary" is the default
// view, printed report by report, and is not among them).
[[nodiscard]] const std::vector<NamedTable>& named_tables();
// nullptr when unknown.
[[nodiscard]] const NamedTable* find_table(std::string_view name);

}  // namespace aistor
