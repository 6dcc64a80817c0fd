// `aistor mlperf training|checkpoint PRESET --dir DIR [...]`: an MLPerf Storage v3.0 workload run
// by its rules, its rules checked, and a submission-style summary.
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <charconv>
#include <ostream>

#include "apps/cli.hpp"
#include "core/error.hpp"
#include "report/mlperf_table.hpp"
#include "workloads/mlperf/mlperf_presets.hpp"
#include "workloads/mlperf/mlperf_rules.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "usage: aistor mlperf training PRESET --dir DIR [--scale S]\n"
    "                     [--accelerators N | --search [--from N]] [--runs N] [--epochs N]\n"
    "                     [--accelerator h100|a100|b200|mi355] [--engine E] [--output FILE]\n"
    "       aistor mlperf checkpoint PRESET --dir DIR [--scale S] [--engine E] [--output FILE]\n";

struct MlperfArgs {
  std::string kind, preset;
  MlperfRun run;
  bool dir_given = false;
  bool search = false;
  bool from_given = false;
  bool kind_given = false;
  std::filesystem::path output = "aistor-report.json";
};

unsigned positive(const std::string& flag, const std::string& v, unsigned most) {
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n == 0 || n > most)
    throw InputError(
        fmt::format("mlperf: {}: \"{}\" is not a whole number from 1 to {}", flag, v, most));
  return n;
}

MlperfArgs parse(const std::vector<std::string>& args) {
  MlperfArgs m;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw InputError(fmt::format("mlperf: {} needs a value", a));
      return args[++i];
    };
    if (a == "--dir") {
      m.run.dir = value();
      m.dir_given = true;
    } else if (a == "--scale") {
      const std::string& v = value();
      char* end = nullptr;
      m.run.scale = std::strtod(v.c_str(), &end);
      if (end != v.c_str() + v.size() || !(m.run.scale > 0 && m.run.scale <= 1))
        throw InputError(fmt::format("mlperf: --scale: \"{}\" is not a number in (0, 1]", v));
    } else if (a == "--accelerators") {
      m.run.accelerators = positive(a, value(), 4096);
    } else if (a == "--search") {
      m.search = true;
    } else if (a == "--from") {
      m.run.search_from = positive(a, value(), 4096);
      m.from_given = true;
    } else if (a == "--epochs") {
      m.run.epochs = positive(a, value(), 1000);
    } else if (a == "--runs") {
      m.run.runs = positive(a, value(), 1000);
    } else if (a == "--accelerator") {
      m.run.accelerator = value();
      m.kind_given = true;
    } else if (a == "--engine") {
      m.run.engine = value();
    } else if (a == "--output") {
      m.output = value();
    } else if (a.starts_with("-")) {
      throw InputError(fmt::format("mlperf: unknown option {}", a));
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2 || (positional[0] != "training" && positional[0] != "checkpoint"))
    throw InputError("mlperf: give training or checkpoint, then a preset");
  m.kind = positional[0];
  m.preset = positional[1];
  if (!m.dir_given) throw InputError("mlperf: --dir DIR is required (where the data goes)");
  if (m.kind == "training" && m.search == m.run.accelerators.has_value())
    throw InputError("mlperf training: give --accelerators N or --search (one of them)");
  if (m.from_given && !m.search) throw InputError("mlperf training: --from goes with --search");
  if (m.kind == "checkpoint" && (m.search || m.run.accelerators || m.run.epochs || m.kind_given))
    throw InputError("mlperf checkpoint: --accelerator(s), --search and --epochs are for training");
  return m;
}

std::uint64_t ram_bytes() {
  return static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
         static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Whether `a` and `b` (or, not made yet, their nearest existing parents) share a filesystem.
bool same_filesystem(std::filesystem::path a, std::filesystem::path b) {
  const auto device = [](std::filesystem::path p) {
    p = std::filesystem::absolute(p);
    struct stat st {};
    while (::stat(p.c_str(), &st) != 0 && p.has_parent_path() && p != p.parent_path())
      p = p.parent_path();
    return st.st_dev;
  };
  return device(std::move(a)) == device(std::move(b));
}

unsigned count_phases(const nlohmann::json& report, const char* name) {
  unsigned n = 0;
  for (const auto& p : report["phases"])
    n += p.value("name", "") == name && p.value("status", "") == "ok";
  return n;
}

void amend(nlohmann::json& report, const MlperfArgs& m, const nlohmann::json& config,
           std::ostream& out) {
  const bool same = same_filesystem(
      m.run.dir, m.output.has_parent_path() ? m.output.parent_path() : std::filesystem::path("."));
  nlohmann::json summary{{"kind", m.kind}, {"preset", m.preset}, {"scale", m.run.scale}};
  if (m.kind == "training") {
    const TrainingPreset* p = &training_preset(m.preset, m.run.accelerator);
    TrainingFacts f;
    f.samples = static_cast<std::uint64_t>(static_cast<double>(p->files) * m.run.scale) *
                p->samples_per_file;
    f.dataset_bytes = f.samples * p->sample_bytes;
    f.ram_bytes = ram_bytes();
    const auto& engine = config["phases"][0]["engine"];
    f.direct = engine["name"] == "odirect" || engine.value("direct", false);
    f.batch = p->batch;
    f.accelerators = m.run.accelerators.value_or(0);
    for (const auto& s : report["searches"])
      if (s["best"].is_number()) f.accelerators = s["best"].get<unsigned>();
    f.warmups = count_phases(report, "warm-up");
    f.runs = count_phases(report, "run");
    f.same_filesystem = same;
    summary["au_goal"] = p->au;
    summary["accelerator"] = p->accelerator;
    summary["accelerators"] = f.accelerators;
    summary["rules"] = to_json(training_rules(f));
  } else {
    CheckpointFacts f;
    for (const auto& ph : report["phases"]) {
      if (ph.value("name", "") == "save" && ph.contains("bytes") && ph["bytes"].is_number())
        f.bytes = ph["bytes"].get<std::uint64_t>();
    }
    f.ram_bytes = ram_bytes();
    f.cold_restores = true;
    f.saves = count_phases(report, "save");
    f.restores = count_phases(report, "restore");
    f.same_filesystem = same;
    summary["rules"] = to_json(checkpoint_rules(f));
  }
  report["mlperf"] = summary;
  fmt::print(out, "\n{}", render(mlperf_tables({report}), TableFormat::text));
}

}  // namespace

int mlperf(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop) {
  MlperfArgs m;
  nlohmann::json config;
  try {
    m = parse(args);
    config = m.kind == "training" ? training_config(m.preset, m.run)
                                  : checkpoint_config(m.preset, m.run);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n{}", e.what(), kUsage);
    return 2;
  }
  return run_json(config, m.output, io, stop,
                  [&](nlohmann::json& report) { amend(report, m, config, io.out); });
}

}  // namespace aistor::cli
