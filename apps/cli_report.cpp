// `aistor report [--format table|md|csv|html|csv-raw|bmf|gab|gab-smaller|openmetrics] [--table
// NAME]
// [-o FILE] REPORT.json...`: tables, an HTML page, or the headline figures in other tools' formats,
// rendered from saved reports.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <optional>
#include <ostream>

#include "apps/cli.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "report/html_report.hpp"
#include "report/metric_export.hpp"
#include "report/side_by_side.hpp"
#include "report/table.hpp"
#include "report/table_registry.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "aistor: usage: aistor report [--format "
    "table|md|csv|html|csv-raw|bmf|gab|gab-smaller|openmetrics] "
    "[--table summary|phases|training|checkpoint|kv-cache|ollama-load|storm|ranks|packing|"
    "side-by-side|vector-search|mlperf] [-o "
    "FILE] "
    "REPORT.json...\n";

struct ReportArgs {
  std::string format = "table", table, output;
  std::vector<std::string> files;
};

bool known_table(const std::string& t) {
  return t.empty() || t == "summary" || find_table(t) != nullptr;
}

// Formats of the headline figures for other tools (report/metric_export.hpp): no tables.
bool is_export(const std::string& f) {
  return f == "csv-raw" || f == "bmf" || f == "gab" || f == "gab-smaller" || f == "openmetrics";
}

bool known_format(const std::string& f) {
  return f == "table" || f == "md" || f == "csv" || f == "html" || is_export(f);
}

// The options and files, or nullopt after saying what is wrong.
std::optional<ReportArgs> parse_args(const std::vector<std::string>& args, std::ostream& err) {
  ReportArgs r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    const bool option = a == "--format" || a == "--table" || a == "-o" || a == "--output";
    if (option && i + 1 >= args.size()) {
      fmt::print(err, "aistor: report: {} needs a value\n{}", a, kUsage);
      return std::nullopt;
    }
    if (a == "--format") {
      r.format = args[++i];
    } else if (a == "--table") {
      r.table = args[++i];
    } else if (a == "-o" || a == "--output") {
      r.output = args[++i];
    } else if (a.starts_with("-")) {
      fmt::print(err, "aistor: report: unknown option {}\n{}", a, kUsage);
      return std::nullopt;
    } else {
      r.files.push_back(a);
    }
  }
  if (!known_table(r.table)) fmt::print(err, "aistor: report: unknown table {}\n", r.table);
  if (!known_format(r.format)) fmt::print(err, "aistor: report: unknown format {}\n", r.format);
  if (r.files.empty() || !known_table(r.table) || !known_format(r.format)) {
    fmt::print(err, "{}", kUsage);
    return std::nullopt;
  }
  if (r.format == "html" && !r.table.empty()) {
    fmt::print(err, "aistor: report: --table does not apply to --format html (it has them all)\n");
    return std::nullopt;
  }
  if (is_export(r.format) && !r.table.empty()) {
    fmt::print(err, "aistor: report: --table does not apply to --format {} (it exports figures)\n",
               r.format);
    return std::nullopt;
  }
  return r;
}

// The parsed reports, or nullopt after naming the file that is not one.
std::optional<std::vector<nlohmann::json>> load_reports(const std::vector<std::string>& files,
                                                        std::ostream& err) {
  std::vector<nlohmann::json> reports;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) {
      fmt::print(err, "aistor: report: cannot open {}\n", file);
      return std::nullopt;
    }
    try {
      reports.push_back(nlohmann::json::parse(in, json_depth_guard(file)));
    } catch (const nlohmann::json::parse_error& e) {
      fmt::print(err, "aistor: report: {}: not a JSON report (byte {})\n", file, e.byte);
      return std::nullopt;
    } catch (const nlohmann::json::exception& e) {  // a number too large (406)
      fmt::print(err, "aistor: report: {}: not a JSON report ({})\n", file, e.what());
      return std::nullopt;
    } catch (const InputError& e) {
      fmt::print(err, "aistor: report: {}\n", e.what());
      return std::nullopt;
    }
    if (!reports.back().is_object() || !reports.back().contains("phases") ||
        !reports.back()["phases"].is_array()) {
      fmt::print(err, "aistor: report: {}: not an aistor report (no phases)\n", file);
      return std::nullopt;
    }
  }
  return reports;
}

// Every report's summary tables (each under its file name in markdown when there are several),
// then the side-by-side table when the reports differ by target.
std::string summaries(const ReportArgs& a, const std::vector<nlohmann::json>& reports,
                      TableFormat format) {
  std::string text;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (reports.size() > 1 && format == TableFormat::markdown)
      text += fmt::format("{}## {}\n\n", i ? "\n" : "", a.files[i]);
    if (reports.size() > 1 && format != TableFormat::markdown && i) text += "\n";
    text += format == TableFormat::text ? summary_table(reports[i])
                                        : render(summary_tables(reports[i]), format);
  }
  if (a.table.empty()) {
    if (const auto side = side_by_side_table(reports); !side.empty()) {
      text += '\n';  // not "\n" + string&&: GCC 12's -Wrestrict false positive in Release
      text += render(std::vector<Table>{side}, format);
    }
  }
  return text;
}

}  // namespace

int report(const std::vector<std::string>& args, Streams io) {
  const auto a = parse_args(args, io.err);
  if (!a) return 2;
  const auto reports = load_reports(a->files, io.err);
  if (!reports) return 2;
  const bool named =
      a->format != "html" && !is_export(a->format) && !a->table.empty() && a->table != "summary";
  std::string text;
  try {
    const auto format = a->format == "md"    ? TableFormat::markdown
                        : a->format == "csv" ? TableFormat::csv
                                             : TableFormat::text;
    if (a->format == "html") {
      text = html_report(*reports, a->files);
    } else if (a->format == "csv-raw") {
      text = export_csv_raw(*reports);
    } else if (a->format == "bmf") {
      text = export_bmf(*reports);
    } else if (a->format == "gab" || a->format == "gab-smaller") {
      text = export_gab(*reports, a->format == "gab");
    } else if (a->format == "openmetrics") {
      text = export_openmetrics(*reports);
    } else if (named) {
      text = render(find_table(a->table)->make(*reports), format);
    } else {
      text = summaries(*a, *reports, format);
    }
  } catch (const nlohmann::json::exception& e) {
    fmt::print(io.err, "aistor: report: a report holds an unexpected value: {}\n", e.what());
    return 2;
  }
  if (named && text.empty()) {
    fmt::print(io.err, "aistor: report: {}\n", find_table(a->table)->when_empty);
    return 1;
  }
  if (a->output.empty()) {
    fmt::print(io.out, "{}", text);
    return 0;
  }
  std::ofstream out(a->output, std::ios::binary | std::ios::trunc);
  if (!out || !(out << text) || !out.flush()) {
    fmt::print(io.err, "aistor: report: cannot write {}\n", a->output);
    return 1;
  }
  return 0;
}

}  // namespace aistor::cli
