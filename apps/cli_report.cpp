// `aistor report --table NAME REPORT.json...`: a table rendered from saved reports.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <ostream>

#include "apps/cli.hpp"
#include "report/storm_table.hpp"
#include "report/table.hpp"

namespace aistor::cli {

int report(const std::vector<std::string>& args, Streams io) {
  constexpr const char* kUsage =
      "aistor: usage: aistor report --table summary|ollama-load|storm REPORT.json...\n";
  if (args.size() < 3 || args[0] != "--table" ||
      (args[1] != "summary" && args[1] != "ollama-load" && args[1] != "storm")) {
    fmt::print(io.err, "{}", kUsage);
    return 2;
  }
  std::vector<nlohmann::json> reports;
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::ifstream in(args[i]);
    if (!in) {
      fmt::print(io.err, "aistor: report: cannot open {}\n", args[i]);
      return 2;
    }
    try {
      reports.push_back(nlohmann::json::parse(in));
    } catch (const nlohmann::json::parse_error& e) {
      fmt::print(io.err, "aistor: report: {}: not a JSON report (byte {})\n", args[i], e.byte);
      return 2;
    }
    if (!reports.back().is_object() || !reports.back().contains("phases")) {
      fmt::print(io.err, "aistor: report: {}: not an aistor report (no phases)\n", args[i]);
      return 2;
    }
  }
  if (args[1] == "summary") {
    for (const auto& r : reports)
      fmt::print(io.out, "{}", summary_table(r));
    return 0;
  }
  const bool storm = args[1] == "storm";
  const std::string table = storm ? storm_table(reports, true) : model_load_table(reports);
  if (table.empty()) {
    fmt::print(io.err, "aistor: report: no {} phases in the reports\n",
               storm ? "storm" : "model-load");
    return 1;
  }
  fmt::print(io.out, "{}", table);
  return 0;
}

}  // namespace aistor::cli
