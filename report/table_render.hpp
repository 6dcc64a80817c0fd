#pragma once
// What the text tables share: aligned columns under a rule, and an engine's short label.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

// Aligns columns under a header row (rows[0]) and a rule; the first `lead` and last `trail`
// columns are text (left-aligned), the rest numbers (right-aligned). Trailing spaces are trimmed.
[[nodiscard]] std::string render_table(const std::vector<std::vector<std::string>>& rows,
                                       std::size_t lead, std::size_t trail);

// "pread", "pread+direct", "io_uring qd32", from a report's engine object ("?" when absent).
[[nodiscard]] std::string engine_label(const nlohmann::json& engine);

}  // namespace aistor
