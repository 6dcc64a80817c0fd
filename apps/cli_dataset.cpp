// The dataset verbs: `aistor gen dataset`, `aistor gen index` and `aistor inspect`.
#include <fmt/format.h>

#include <fmt/ostream.h>
#include <charconv>
#include <filesystem>
#include <ostream>
#include <thread>

#include "apps/cli.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/units.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/formats/inspect.hpp"
#include "workloads/formats/vector_index_build.hpp"

namespace aistor::cli {
namespace {

// "--samples 1000" → {"samples": 1000}; values that parse as JSON are taken as JSON.
nlohmann::json dataset_options(const std::vector<std::string>& args, std::string& dir,
                               unsigned& threads, const std::string& what = "gen dataset") {
  nlohmann::json spec = nlohmann::json::object();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= args.size()) {
      throw InputError(fmt::format("{}: expected --option value, got \"{}\"", what, a));
    }
    std::string key = a.substr(2);
    const std::string& text = args[++i];
    if (key == "dir") {
      dir = text;
      continue;
    }
    if (key == "threads") {
      unsigned n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size() || n == 0 || n > 1024) {
        throw InputError(
            fmt::format("{}: --threads: \"{}\" is not a count from 1 to 1024", what, text));
      }
      threads = n;
      continue;
    }
    std::replace(key.begin(), key.end(), '-', '_');
    auto value = nlohmann::json::parse(text, json_depth_guard(what + " --" + key), false);
    spec[key] = value.is_discarded() ? nlohmann::json(text) : value;
  }
  if (dir.empty()) throw InputError(what + ": --dir DIR is required");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    throw InputError(fmt::format("{}: --dir {}: not a directory", what, dir));
  return spec;
}

}  // namespace

// `aistor gen index --dir DIR [--preset mlperf-vectordb --scale S | --dim D --count N ...]`: the
// vector-search index a phase would build, built (or reused) ahead of it.
int gen_index(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop) {
  std::string dir;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  formats::IndexSpec spec;
  try {
    auto options = dataset_options(args, dir, threads, "gen index");
    ConfigNode node(options, "gen index");
    spec = formats::IndexSpec::parse(node);
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  }
  try {
    const auto r = formats::build_index(spec, dir, threads, &stop);
    fmt::print(io.out, "{}: {} {} vectors of {} dimensions, degree {}, graph {}, PQ codes {}{}\n",
               dir, r.reused ? "reused the matching index:" : "built", spec.count, spec.dim,
               spec.degree, human_bytes(static_cast<double>(r.graph_bytes)),
               human_bytes(static_cast<double>(r.pq_bytes)),
               r.reused ? "" : fmt::format(" in {:.1f} s", r.seconds));
    return 0;
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 1;
  }
}

int gen(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop) {
  if (!args.empty() && args[0] == "model") return gen_model({args.begin() + 1, args.end()}, io);
  if (!args.empty() && args[0] == "index")
    return gen_index({args.begin() + 1, args.end()}, io, stop);
  if (args.empty() || args[0] != "dataset") {
    fmt::print(io.err,
               "aistor: usage: aistor gen dataset --dir DIR [--format F] [--preset P "
               "--scale S | --samples N --files K --sizes JSON] [--seed S] [--threads T]\n");
    return 2;
  }
  std::string dir;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  formats::DatasetSpec spec;
  try {
    auto options = dataset_options({args.begin() + 1, args.end()}, dir, threads);
    ConfigNode node(options, "gen dataset");
    spec = formats::parse_dataset_spec(node);
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  }
  try {
    auto r = formats::generate_dataset(spec, dir, threads, &stop);
    if (r.reused) {
      fmt::print(io.out, "{}: reused the matching dataset ({} samples, {})\n", dir, r.samples,
                 human_bytes(static_cast<double>(r.payload_bytes)));
    } else {
      fmt::print(io.out, "{}: {} {} samples, {} payload, {} on disk in {:.2f} s ({:.1f} MB/s)\n",
                 dir, r.samples, formats::to_string(spec.format),
                 human_bytes(static_cast<double>(r.payload_bytes)),
                 human_bytes(static_cast<double>(r.file_bytes)), r.seconds,
                 r.seconds > 0 ? static_cast<double>(r.file_bytes) / r.seconds / 1e6 : 0.0);
    }
    return 0;
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 1;
  }
}

int inspect(const std::vector<std::string>& args, Streams io) {
  bool json = false;
  std::string path;
  for (const auto& a : args) {
    if (a == "--json") {
      json = true;
    } else if (path.empty() && a.rfind("--", 0) != 0) {
      path = a;
    } else {
      fmt::print(io.err, "aistor: usage: aistor inspect PATH [--json]\n");
      return 2;
    }
  }
  if (path.empty()) {
    fmt::print(io.err, "aistor: usage: aistor inspect PATH [--json]\n");
    return 2;
  }
  try {
    auto r = formats::inspect(path);
    fmt::print(io.out, "{}", json ? r.dump(2) + "\n" : formats::describe_inspection(r));
    return 0;
  } catch (const std::exception& e) {
    // A corrupt record is a failed check: exit 1, one line naming file, record and offset.
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 1;
  }
}

}  // namespace aistor::cli
