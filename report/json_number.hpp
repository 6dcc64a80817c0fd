#pragma once
// A number at a path of keys in a report's JSON, for the tables: -1 when a key is missing or the
// value is not a number (a table shows "-" for it).
#include <initializer_list>

#include <nlohmann/json.hpp>

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

}  // namespace aistor
