#include "report/table_render.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace aistor {

std::string engine_label(const nlohmann::json& e) {
  if (!e.is_object()) return "?";
  std::string s = e.value("name", "?");
  if (e.value("direct", false) && s != "odirect") s += "+direct";
  auto qd = e.value("queue_depth", 1u);
  if (qd > 1) s += fmt::format(" qd{}", qd);
  return s;
}

// Aligns columns; the first `lead` and last `trail` columns are text (left), the rest numbers.
std::string render_table(const std::vector<std::vector<std::string>>& rows, std::size_t lead,
                         std::size_t trail) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()), 0);
    for (std::size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      bool left = i < lead || i + trail >= r.size();
      line += left ? fmt::format("{:<{}}", r[i], width[i]) : fmt::format("{:>{}}", r[i], width[i]);
      if (i + 1 < r.size()) line += "  ";
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
    if (k == 0) {
      std::size_t total = 0;
      for (auto w : width)
        total += w + 2;
      out += std::string(total - 2, '-') + "\n";
    }
  }
  return out;
}

}  // namespace aistor
