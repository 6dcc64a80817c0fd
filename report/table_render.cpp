#include "report/table_render.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace aistor {

std::string seconds_cell(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? fmt::format("{:.3f}", j[key].get<double>())
                                               : std::string("-");
}

std::string gb_per_s_cell(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? fmt::format("{:.2f}", j[key].get<double>() / 1e9)
                                               : std::string("-");
}

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

namespace {

std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string render_markdown(const Table& t) {
  const std::size_t columns = t.rows.empty() ? 0 : t.rows[0].size();
  std::string out;
  for (std::size_t k = 0; k < t.rows.size(); ++k) {
    std::string line = "|";
    for (std::size_t i = 0; i < columns; ++i) {
      // Appended piece by piece: `" " + string&&` trips GCC 12's -Wrestrict at -O2 and above.
      line += ' ';
      line += markdown_cell(i < t.rows[k].size() ? t.rows[k][i] : std::string());
      line += " |";
    }
    out += line + "\n";
    if (k == 0) {
      std::string rule = "|";
      for (std::size_t i = 0; i < columns; ++i)
        rule += (i < t.lead || i + t.trail >= columns) ? " --- |" : " ---: |";
      out += rule + "\n";
    }
  }
  return out;
}

std::string render_csv(const Table& t) {
  std::string out;
  for (const auto& r : t.rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_cell(r[i]);
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string render(const Table& table, TableFormat format) {
  switch (format) {
    case TableFormat::markdown:
      return render_markdown(table);
    case TableFormat::csv:
      return render_csv(table);
    case TableFormat::text:
      break;
  }
  return render_table(table.rows, table.lead, table.trail);
}

std::string render(const std::vector<Table>& tables, TableFormat format) {
  std::string out;
  for (const auto& t : tables) {
    if (t.empty()) continue;
    if (!out.empty()) out += "\n";
    if (format == TableFormat::markdown) out += "### " + t.title + "\n\n";
    if (format == TableFormat::csv) out += "# " + t.title + "\n";
    out += render(t, format);
  }
  return out;
}

}  // namespace aistor
