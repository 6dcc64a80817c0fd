// `aistor report [--format table|md|csv|html] [--table NAME] [-o FILE] REPORT.json...`: tables
// or an HTML page rendered from saved reports.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <ostream>
#include <sstream>

#include "apps/cli.hpp"
#include "report/html_report.hpp"
#include "report/side_by_side.hpp"
#include "report/storm_table.hpp"
#include "report/table.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "aistor: usage: aistor report [--format table|md|csv|html] "
    "[--table summary|phases|training|checkpoint|ollama-load|storm|side-by-side] [-o FILE] "
    "REPORT.json...\n";

// The tables --table names, from every report; empty when the reports have none of them.
std::vector<Table> named_tables(const std::string& name, const std::vector<nlohmann::json>& r) {
  if (name == "phases") return {phase_table(r)};
  if (name == "training") return {training_table(r)};
  if (name == "checkpoint") return {checkpoint_table(r)};
  if (name == "ollama-load" || name == "model-load") return {model_load_table(r)};
  if (name == "storm") return storm_tables(r, true);
  if (name == "side-by-side") return {side_by_side_table(r)};
  return {};
}

}  // namespace

int report(const std::vector<std::string>& args, Streams io) {
  std::string format = "table", table, output;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    const bool option = a == "--format" || a == "--table" || a == "-o" || a == "--output";
    if (option && i + 1 >= args.size()) {
      fmt::print(io.err, "aistor: report: {} needs a value\n{}", a, kUsage);
      return 2;
    }
    if (a == "--format") {
      format = args[++i];
    } else if (a == "--table") {
      table = args[++i];
    } else if (a == "-o" || a == "--output") {
      output = args[++i];
    } else if (a.starts_with("-")) {
      fmt::print(io.err, "aistor: report: unknown option {}\n{}", a, kUsage);
      return 2;
    } else {
      files.push_back(a);
    }
  }
  const bool known_table = table.empty() || table == "summary" || table == "phases" ||
                           table == "training" || table == "checkpoint" || table == "ollama-load" ||
                           table == "model-load" || table == "storm" || table == "side-by-side";
  if (files.empty() || !known_table ||
      (format != "table" && format != "md" && format != "csv" && format != "html")) {
    if (!known_table) fmt::print(io.err, "aistor: report: unknown table {}\n", table);
    if (format != "table" && format != "md" && format != "csv" && format != "html")
      fmt::print(io.err, "aistor: report: unknown format {}\n", format);
    fmt::print(io.err, "{}", kUsage);
    return 2;
  }
  if (format == "html" && !table.empty()) {
    fmt::print(io.err,
               "aistor: report: --table does not apply to --format html (it has them all)\n");
    return 2;
  }
  std::vector<nlohmann::json> reports;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) {
      fmt::print(io.err, "aistor: report: cannot open {}\n", file);
      return 2;
    }
    try {
      reports.push_back(nlohmann::json::parse(in));
    } catch (const nlohmann::json::parse_error& e) {
      fmt::print(io.err, "aistor: report: {}: not a JSON report (byte {})\n", file, e.byte);
      return 2;
    }
    if (!reports.back().is_object() || !reports.back().contains("phases") ||
        !reports.back()["phases"].is_array()) {
      fmt::print(io.err, "aistor: report: {}: not an aistor report (no phases)\n", file);
      return 2;
    }
  }

  std::string text;
  try {
    if (format == "html") {
      text = html_report(reports, files);
    } else {
      const auto fmt_of = format == "md"    ? TableFormat::markdown
                          : format == "csv" ? TableFormat::csv
                                            : TableFormat::text;
      if (table.empty() || table == "summary") {
        for (std::size_t i = 0; i < reports.size(); ++i) {
          if (reports.size() > 1 && fmt_of == TableFormat::markdown)
            text += fmt::format("{}## {}\n\n", i ? "\n" : "", files[i]);
          if (reports.size() > 1 && fmt_of != TableFormat::markdown && i) text += "\n";
          text += fmt_of == TableFormat::text ? summary_table(reports[i])
                                              : render(summary_tables(reports[i]), fmt_of);
        }
        if (table.empty()) {
          if (const auto side = side_by_side_table(reports); !side.empty())
            text += "\n" + render(std::vector<Table>{side}, fmt_of);
        }
      } else {
        text = render(named_tables(table, reports), fmt_of);
        if (text.empty()) {
          if (table == "side-by-side") {
            fmt::print(io.err,
                       "aistor: report: side-by-side needs two or more reports whose targets "
                       "differ\n");
          } else {
            fmt::print(io.err, "aistor: report: no {} phases in the reports\n",
                       table == "ollama-load" ? "model-load" : table);
          }
          return 1;
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    fmt::print(io.err, "aistor: report: a report holds an unexpected value: {}\n", e.what());
    return 2;
  }
  if (output.empty()) {
    fmt::print(io.out, "{}", text);
    return 0;
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  if (!out || !(out << text) || !out.flush()) {
    fmt::print(io.err, "aistor: report: cannot write {}\n", output);
    return 1;
  }
  return 0;
}

}  // namespace aistor::cli
