// `aistor history DIR_OR_REPORT... [-o PAGE] [--threshold 5%] [--alpha 0.01] [--after 3]
// [--window 12]`: many nightly reports of one machine as one HTML page of trends, noise and
// change points; exit 1 when the newest night starts a regression.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "apps/cli.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "report/history.hpp"
#include "report/history_page.hpp"

namespace aistor::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "aistor: usage: aistor history DIR_OR_REPORT... [-o PAGE.html] [--threshold 5%] "
    "[--alpha 0.01] [--after 3] [--window 12]\n"
    "  every aistor report under the directories (or given), ordered by started_at\n"
    "  exit 0: the newest night starts no regression; 1: it does; 2: bad input\n";

struct Night {
  fs::path path;
  nlohmann::json report;
};

// The report, or nullopt when the file is not one (InputError when `must` and it is not).
std::optional<Night> read_night(const fs::path& path, bool must) {
  std::ifstream in(path);
  if (!in) {
    if (must) throw InputError(fmt::format("history: cannot open {}", path.string()));
    return std::nullopt;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, json_depth_guard(path.string()));
  } catch (const std::exception&) {
    j = nullptr;
  }
  if (!j.is_object() || !j.contains("phases") || !j["phases"].is_array() ||
      !j.contains("started_at") || !j["started_at"].is_string()) {
    if (must) throw InputError(fmt::format("history: {}: not an aistor report", path.string()));
    return std::nullopt;
  }
  return Night{path, std::move(j)};
}

void collect(const fs::path& arg, std::vector<Night>& out) {
  std::error_code ec;
  if (!fs::is_directory(arg, ec)) {
    out.push_back(*read_night(arg, true));
    return;
  }
  const std::size_t before = out.size();
  for (auto it = fs::recursive_directory_iterator(arg, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".json") {
      if (auto n = read_night(it->path(), false)) out.push_back(std::move(*n));
    }
  }
  if (ec) throw InputError(fmt::format("history: {}: {}", arg.string(), ec.message()));
  if (out.size() == before)
    throw InputError(fmt::format("history: {}: no aistor reports under it", arg.string()));
}

unsigned count(const std::string& flag, const std::string& v, unsigned lo, unsigned hi) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (end == v.c_str() || *end != '\0' || x < lo || x > hi)
    throw InputError(
        fmt::format("history: {}: \"{}\" is not a whole number from {} to {}", flag, v, lo, hi));
  return static_cast<unsigned>(x);
}

}  // namespace

int history(const std::vector<std::string>& args, Streams io) {
  HistoryOptions options;
  fs::path page = "history.html";
  std::vector<Night> nights;
  try {
    std::vector<std::string> inputs;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw InputError(fmt::format("history: {} needs a value", a));
        return args[++i];
      };
      if (a == "-o" || a == "--output") {
        page = value();
      } else if (a == "--threshold") {
        options.threshold = parse_fraction("history", a, value());
      } else if (a == "--alpha") {
        options.alpha = parse_fraction("history", a, value());
      } else if (a == "--after") {
        options.after = count(a, value(), 2, 30);
      } else if (a == "--window") {
        options.window = count(a, value(), 2, 1000);
        options.min_before = std::min(options.min_before, options.window);
      } else if (a.starts_with("-")) {
        throw InputError(fmt::format("history: unknown option {}", a));
      } else {
        inputs.push_back(a);
      }
    }
    if (inputs.empty()) throw InputError("history: give the reports or their directories");
    for (const auto& in : inputs)
      collect(in, nights);
    if (nights.size() < 2)
      throw InputError(
          fmt::format("history: {} report; a history needs two or more", nights.size()));
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n{}", e.what(), kUsage);
    return 2;
  }
  std::stable_sort(nights.begin(), nights.end(), [](const Night& a, const Night& b) {
    return a.report["started_at"].get<std::string>() < b.report["started_at"].get<std::string>();
  });
  std::vector<nlohmann::json> reports;
  std::vector<HistoryNight> labels;
  const fs::path base = fs::absolute(page).parent_path();
  for (auto& n : nights) {
    labels.push_back({n.report["started_at"].get<std::string>(),
                      fs::absolute(n.path).lexically_relative(base).generic_string()});
    reports.push_back(std::move(n.report));
  }
  std::vector<MetricHistory> history;
  try {
    history = build_history(reports, options);
  } catch (const nlohmann::json::exception& e) {
    fmt::print(io.err, "aistor: history: a report holds an unexpected value: {}\n", e.what());
    return 2;
  }
  try {
    write_file_durably(page, history_page(history, labels, options));
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: history: {}\n", e.what());
    return 2;
  }
  std::size_t changes = 0, unstable = 0;
  for (const auto& h : history) {
    changes += h.changes.size();
    unstable += h.unstable ? 1 : 0;
  }
  fmt::print(io.out, "{} nights, {} metrics ({} unstable), {} change points; page: {}\n",
             reports.size(), history.size(), unstable, changes, page.string());
  const auto newest = newest_regressions(history, reports.size());
  for (const auto& [h, c] : newest)
    fmt::print(io.out, "regression: {} {} {:+.1f} % (p {:.4f}) from {}\n", h->phase, h->metric,
               (c.ratio - 1) * 100, c.p, labels[h->nights[c.start]].label);
  return newest.empty() ? 0 : 1;
}

}  // namespace aistor::cli
