// `aistor compare BASE NEW`: run against run, with statistics, for nightly regression gates.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "apps/cli.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "report/compare.hpp"
#include "report/fio_import.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "aistor: usage: aistor compare BASE NEW [--threshold 5%] [--alpha 0.05] [--format table|md] "
    "[--force]\n"
    "  BASE, NEW: an aistor report, fio's JSON output, or a directory of them (pooled)\n"
    "  exit 0: no significant regression; 1: a regression; 2: bad input, or not comparable\n";

// A report or a fio output; anything else is an InputError naming the file.
nlohmann::json read_run(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("compare: cannot open {}", path.string()));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, json_depth_guard(path.string()));
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("compare: {}: not JSON (byte {})", path.string(), e.byte));
  } catch (const nlohmann::json::exception& e) {  // a number too large (406)
    throw InputError(fmt::format("compare: {}: not usable JSON ({})", path.string(), e.what()));
  }
  const bool report = j.is_object() && j.value("schema", "") == "aistor.report/1";
  if (!report && !is_fio_output(j)) {
    throw InputError(
        fmt::format("compare: {}: neither an aistor report nor fio's JSON output", path.string()));
  }
  return j;
}

// A file, or every .json file of a directory that is a run (configs and the like are skipped).
std::vector<nlohmann::json> read_side(const std::string& arg) {
  const std::filesystem::path path(arg);
  std::vector<nlohmann::json> runs;
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    runs.push_back(read_run(path));
    return runs;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      runs.push_back(read_run(f));
    } catch (const InputError&) {
      // not a run: skipped
    }
  }
  if (runs.empty()) {
    throw InputError(fmt::format("compare: {}: no aistor reports or fio outputs in the directory",
                                 path.string()));
  }
  return runs;
}

}  // namespace

int compare(const std::vector<std::string>& args, Streams io) {
  CompareOptions options;
  bool markdown = false;
  std::vector<std::string> sides;
  std::vector<nlohmann::json> base, next;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw InputError(fmt::format("compare: {} needs a value", a));
        return args[++i];
      };
      if (a == "--threshold") {
        options.threshold = parse_fraction("compare", a, value());
      } else if (a == "--alpha") {
        options.alpha = parse_fraction("compare", a, value());
      } else if (a == "--format") {
        const std::string& f = value();
        if (f != "table" && f != "md") {
          throw InputError(fmt::format("compare: --format: \"{}\" is not table or md", f));
        }
        markdown = f == "md";
      } else if (a == "--force") {
        options.force = true;
      } else if (a.rfind("--", 0) == 0) {
        throw InputError(fmt::format("compare: unknown option {}", a));
      } else {
        sides.push_back(a);
      }
    }
    if (sides.size() != 2) throw InputError("compare: give BASE and NEW");
    base = read_side(sides[0]);
    next = read_side(sides[1]);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n{}", e.what(), kUsage);
    return 2;
  }
  Comparison c;
  try {
    c = compare_runs(base, next, options);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: compare: {}\n", e.what());
    return 2;
  }
  fmt::print(io.out, "{}", render_comparison(c, options, markdown));
  if (!c.refusals.empty()) return 2;
  return c.regression() ? 1 : 0;
}

}  // namespace aistor::cli
