#pragma once
// Completion tails of many clients or ranks: the arithmetic a storm's client rows and a phase's
// rank rows share.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

// Seconds from `from` to `to` (0 when `to` is not after `from`).
[[nodiscard]] double seconds_between(std::uint64_t from, std::uint64_t to);
// Seconds from `start` to `at`; null when `at` never happened (0) or precedes `start`.
[[nodiscard]] nlohmann::json since(std::uint64_t start, std::uint64_t at);
// Nearest rank over sorted values: the smallest value with at least q of them at or below it.
[[nodiscard]] double nearest_rank(const std::vector<double>& sorted, double q);
// Over rows with "status", "host", "finish_s" (and "client" and/or "rank"): the slowest ok row,
// named by what the row names it by, and into out["hosts"] each host's completion tail.
[[nodiscard]] nlohmann::json slowest_and_hosts(const nlohmann::json& rows, nlohmann::json& out);

}  // namespace aistor
