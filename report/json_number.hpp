#pragma once
// A number at a path of keys in a report's JSON, for the tables: -1 when a key is missing or the
// value is not a number (a table shows "-" for it), and the cells that show it.
#include <initializer_list>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/units.hpp"

namespace aistor {

[[nodiscard]] inline double number_at(const nlohmann::json& j,
                                      std::initializer_list<const char*> path) {
  const nlohmann::json* at = &j;
  for (const char* k : path) {
    if (!at->is_object() || !at->contains(k)) return -1;
    at = &(*at)[k];
  }
  return at->is_number() ? at->get<double>() : -1;
}

// A table cell for such a number: "-" when it is missing (negative), else formatted.
[[nodiscard]] inline std::string number_cell(double v, const char* format) {
  return v < 0 ? "-" : fmt::format(fmt::runtime(format), v);
}
// Nanoseconds as "2.50 ms", or "-".
[[nodiscard]] inline std::string ns_cell(double ns) {
  return ns < 0 ? "-" : human_ns(ns);
}

}  // namespace aistor
