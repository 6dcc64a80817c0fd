#include "apps/cli.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <set>

#include "apps/progress_line.hpp"
#include "core/dir_lock.hpp"
#include "core/error.hpp"
#include "engines/registry.hpp"
#include "report/report.hpp"
#include "report/run_report.hpp"
#include "report/table.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/ranks.hpp"
#include "workloads/runner/runner.hpp"
#include "workloads/workload.hpp"
#ifdef AISTOR_HAVE_CUDA
#include "cuda/cuda_probe.hpp"
#endif

namespace aistor::cli {
namespace {

struct RunArgs {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::filesystem::path> dir;
  std::filesystem::path output = "aistor-report.json";
  bool allow_device_writes = false;
  std::optional<nlohmann::json> json;  // the config itself, instead of the file `config`
};

// Parses "CONFIG [--set p=v]... [--dir DIR] [--output FILE]"; InputError on bad usage.
RunArgs parse_run_args(const std::vector<std::string>& args, bool allow_output) {
  RunArgs r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw InputError(fmt::format("{} needs a value", a));
      return args[++i];
    };
    if (a == "--set") {
      r.sets.push_back(value());
    } else if (a == "--dir") {
      r.dir = value();
    } else if (a == "--output" && allow_output) {
      r.output = value();
    } else if (a == "--allow-device-writes") {
      r.allow_device_writes = true;
    } else if (!a.empty() && a[0] == '-') {
      throw InputError(fmt::format("unknown option {}", a));
    } else if (r.config.empty()) {
      r.config = a;
    } else {
      throw InputError(fmt::format("unexpected argument {}", a));
    }
  }
  if (r.config.empty())
    throw InputError("missing CONFIG (a JSON file, e.g. configs/quickstart.json)");
  return r;
}

Plan load(const RunArgs& a) {
  auto config = a.json ? *a.json : read_config_file(a.config);
  for (const auto& s : a.sets)
    apply_override(config, s);
  return make_plan(config, a.dir);
}

// The GPUs CUDA sees (none, and why, on a machine without one), for the report's host.
void find_gpus(RunFacts& facts) {
#ifdef AISTOR_HAVE_CUDA
  auto probe = aistor::cuda::probe();
  for (const auto& g : probe.gpus) {
    facts.gpus.push_back({{"index", g.index},
                          {"name", g.name},
                          {"memory_bytes", g.memory_bytes},
                          {"pci_bus", g.pci_bus}});
  }
  facts.gpu_note = probe.error;
#else
  facts.gpu_note = "built without CUDA (no nvcc found at configure time)";
#endif
}

// Where the phases run: a phase on a block device targets the device, not its directory.
std::vector<std::filesystem::path> targets_of(const Plan& plan) {
  std::vector<std::filesystem::path> out;
  for (const auto& p : plan.phases)
    out.push_back(p.target());
  return out;
}

// A build without MPI started by mpirun would run the whole config once per rank, every copy in
// the same directory: refused, as two runs on one directory are (lock_directories).
void refuse_mpirun_without_mpi() {
  if (built_with_mpi()) return;
  if (const auto env = mpi_launcher_environment(); !env.empty()) {
    throw InputError(
        fmt::format("started by mpirun ({}), but this aistor was built without MPI: "
                    "each rank would run the whole config alone, all in one "
                    "directory; build with libopenmpi-dev installed, or run it once "
                    "without mpirun",
                    env));
  }
}

// One run per data directory: the plan's and every phase's own, each locked once.
std::vector<DirLock> lock_directories(const Plan& plan) {
  std::set<std::filesystem::path> dirs{plan.dir};
  for (const auto& p : plan.phases)
    dirs.insert(p.dir);
  std::vector<DirLock> locks;
  try {
    for (const auto& d : dirs)
      locks.emplace_back(d);
  } catch (const SystemError& e) {
    throw InputError(e.what());
  }
  return locks;
}

// Under mpirun, a phase runs across the ranks (each rank its share) when its workload can; the
// others, and searches, would run on every rank alone, or diverge.
void check_runs_on_ranks(const Plan& plan, const Ranks& ranks) {
  std::string can;
  for (const auto& w : workloads()) {
    if (w.over_ranks) can += (can.empty() ? "" : ", ") + w.name;
  }
  for (const auto& p : plan.phases) {
    if (!find_workload(p.workload)->over_ranks) {
      throw InputError(
          fmt::format("config: {}: under mpirun ({} ranks) only {} phases run across ranks so far; "
                      "run the {} workload without mpirun",
                      p.path, ranks.size(), can, p.workload));
    }
    if (p.search) {
      throw InputError(fmt::format("config: {}.search: not under mpirun", p.path));
    }
  }
}

// A rank other than 0 under mpirun: the same phases, its client's part; rank 0 reports.
int run_quietly(const Plan& plan, const std::atomic<bool>& stop, bool allow_device_writes) {
  std::filesystem::create_directories(plan.dir);
  RunOptions options;
  options.stop = &stop;
  options.allow_device_writes = allow_device_writes;
  return run_plan(plan, options).status == Status::ok ? 0 : 1;
}

}  // namespace

std::string usage() {
  return "usage: aistor run CONFIG [--set path=value]... [--dir DIR] [--output FILE]\n"
         "                  [--allow-device-writes]\n"
         "       aistor validate CONFIG [--set path=value]... [--dir DIR]\n"
         "       aistor engines [--dir DIR]\n"
         "       aistor gen dataset --dir DIR [--format "
         "raw|tfrecord|tfrecord-gzip|tfrecord-zlib|ffrecord|arrow]\n"
         "              [--preset openwebtext|imagenet --scale S | --samples N --files K --sizes "
         "JSON]\n"
         "              [--seed S] [--threads T]\n"
         "       aistor gen model --out FILE [--format safetensors|gguf] [--preset P [--scale S] | "
         "--size SIZE | --params N]\n"
         "              [--dtype D] [--seed N]\n"
         "       aistor gen index --dir DIR [--preset mlperf-vectordb --scale S | --dim D --count "
         "N]\n"
         "              [--dtype float32|uint8] [--metric l2|cosine] [--degree R] [--pq-bytes M]\n"
         "              [--build-list L] [--alpha A] [--seed S] [--threads T]\n"
         "       aistor inspect PATH [--json]\n"
         "       aistor report [--format "
         "table|md|csv|html|csv-raw|bmf|gab|gab-smaller|openmetrics]\n"
         "              [--table NAME] [-o FILE] REPORT.json...\n"
         "       aistor compare BASE NEW [--threshold 5%] [--alpha 0.05] [--format table|md] "
         "[--force]\n"
         "       aistor history DIR_OR_REPORT... [-o PAGE.html] [--threshold 5%] [--alpha 0.01] "
         "[--after 3] [--window 12]\n"
         "       aistor mlperf training|checkpoint PRESET --dir DIR [--scale S] "
         "[--accelerators N | --search [--from N]]\n"
         "              [--runs N] [--epochs N] [--accelerator KIND] [--engine E] [--output "
         "FILE]\n"
         "       aistor trace show FILE | trace export FILE --to csv|fio [--output OUT]\n"
         "       aistor probe gpu [--gpu N] [--chunks 64K,1M,16M] [--json FILE]\n"
         "exit codes: 0 ok, 1 run failed or interrupted, 2 bad usage or config\n";
}

double parse_fraction(std::string_view verb, std::string_view flag, const std::string& value) {
  char* end = nullptr;
  double x = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '%' && end[1] == '\0') {
    x /= 100;
  } else if (end != value.c_str() + value.size() || end == value.c_str()) {
    throw InputError(
        fmt::format("{}: {}: \"{}\" is not a number or a percentage", verb, flag, value));
  }
  if (!(x > 0 && x < 1))
    throw InputError(fmt::format("{}: {}: \"{}\" must be between 0 and 100%", verb, flag, value));
  return x;
}

int validate(const std::vector<std::string>& args, Streams io) {
  try {
    Plan plan = load(parse_run_args(args, false));
    std::size_t runs = 0;
    for (const auto& p : plan.phases)
      runs += p.repeat;
    fmt::print(io.out, "ok: {} phases ({} runs with repeats), config sha256 {}\n",
               plan.phases.size(), runs, plan.sha256.substr(0, 12));
    return 0;
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  }
}

namespace {

// `aistor run`'s work once its arguments are read (`args` null: `a` is complete).
int run_with(RunArgs a, const std::vector<std::string>* args, Streams io,
             const std::atomic<bool>& stop, const ReportAmend& amend) {
  Plan plan;
  Ranks* ranks = world_ranks();
  const bool root = ranks == nullptr || ranks->root();
  std::vector<DirLock> locks;
  try {
    refuse_mpirun_without_mpi();
    if (args != nullptr) a = parse_run_args(*args, true);
    plan = load(a);
    if (ranks) {
      check_runs_on_ranks(plan, *ranks);
      ranks->set_timeout_ns(plan.rank_timeout_ns);
    }
    if (root) locks = lock_directories(plan);
  } catch (const InputError& e) {
    if (root) fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  }
  if (!root) return run_quietly(plan, stop, a.allow_device_writes);
  std::filesystem::create_directories(plan.dir);
  ProgressLine line(io.err, io.tty);
  RunOptions options;
  options.stop = &stop;
  options.allow_device_writes = a.allow_device_writes;
  if (io.tty && !ranks) options.progress = [&](const ProgressUpdate& u) { line.update(u); };
  options.phase_done = [&](const nlohmann::json&) { line.clear(); };

  RunFacts facts;
  facts.started_at = utc_now_iso8601();
  for (const auto& e : aistor::engines())
    facts.engines_compiled.push_back(e.name);
  find_gpus(facts);
  facts.targets = targets_of(plan);
  facts.config = plan.resolved;
  facts.config_sha256 = plan.sha256;
  auto t0 = std::chrono::steady_clock::now();
  RunOutcome outcome = run_plan(plan, options);
  line.clear();
  facts.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  facts.status = outcome.status;
  facts.phases = std::move(outcome.phases);
  facts.repetitions = std::move(outcome.repetitions);
  facts.searches = std::move(outcome.searches);
  auto report = make_run_report(facts);
  fmt::print(io.out, "{}", summary_table(report));
  if (amend) amend(report);
  try {
    write_report(a.output, report);
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: cannot write the report: {}\n", e.what());
    return 1;
  }
  fmt::print(io.out, "status: {}; report: {}\n", to_string(outcome.status), a.output.string());
  return outcome.status == Status::ok ? 0 : 1;
}

}  // namespace

int run(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop) {
  return run_with({}, &args, io, stop, nullptr);
}

int run_json(const nlohmann::json& config, const std::filesystem::path& output, Streams io,
             const std::atomic<bool>& stop, const ReportAmend& amend) {
  RunArgs a;
  a.config = "(mlperf preset)";
  a.json = config;
  a.output = output;
  return run_with(std::move(a), nullptr, io, stop, amend);
}

int engines(const std::vector<std::string>& args, Streams io) {
  std::filesystem::path dir = ".";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dir" && i + 1 < args.size()) {
      dir = args[++i];
    } else {
      fmt::print(io.err, "aistor: engines: unexpected argument {}\n", args[i]);
      return 2;
    }
  }
  // Probe where the data would go; a directory not made yet is probed through its parent.
  while (!std::filesystem::exists(dir) && dir.has_parent_path() && dir != dir.parent_path()) {
    dir = dir.parent_path();
  }
  if (!std::filesystem::exists(dir)) dir = ".";
  fmt::print(io.out, "{:<13} {:<10} {}\n", "engine", "available", "details");
  for (const auto& e : aistor::engines()) {
    Availability a = e.probe(dir);
    std::string details = a.reason.empty() ? e.summary : a.reason;
    fmt::print(io.out, "{:<13} {:<10} {}\n", e.name, a.available ? "yes" : "no", details);
  }
  return 0;
}

}  // namespace aistor::cli
