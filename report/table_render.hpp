#pragma once
// What the tables share: a table as rows of cells with a title, rendered as aligned text,
// markdown or CSV; and an engine's short label.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

struct Table {
  std::string title;                           // "phases", "training", "storm", ...
  std::vector<std::vector<std::string>> rows;  // rows[0] is the header
  std::size_t lead = 1;                        // the first `lead` columns are text
  std::size_t trail = 0;                       // and the last `trail`; the rest are numbers

  [[nodiscard]] bool empty() const { return rows.size() <= 1; }
};

enum class TableFormat { text, markdown, csv };

// Aligns columns under a header row (rows[0]) and a rule; the first `lead` and last `trail`
// columns are text (left-aligned), the rest numbers (right-aligned). Trailing spaces are trimmed.
[[nodiscard]] std::string render_table(const std::vector<std::vector<std::string>>& rows,
                                       std::size_t lead, std::size_t trail);

// One table: text as render_table; markdown as a pipe table (numbers right-aligned, '|'
// escaped, short rows padded); CSV as RFC 4180 (cells with , " or newlines quoted).
[[nodiscard]] std::string render(const Table& table, TableFormat format);
// Several tables, empty ones left out: text separated by a blank line; markdown each under a
// "### title" heading; CSV each after a "# title" line, separated by a blank line.
[[nodiscard]] std::string render(const std::vector<Table>& tables, TableFormat format);

// "pread", "pread+direct", "io_uring qd32", from a report's engine object ("?" when absent).
[[nodiscard]] std::string engine_label(const nlohmann::json& engine);
// j[key] as seconds ("1.250") or bytes/s as GB/s ("2.70"); "-" when it is absent or not a number.
[[nodiscard]] std::string seconds_cell(const nlohmann::json& j, const char* key);
[[nodiscard]] std::string gb_per_s_cell(const nlohmann::json& j, const char* key);

}  // namespace aistor
