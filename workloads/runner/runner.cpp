#include "workloads/runner/runner.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/page_cache.hpp"
#include "core/recorder_json.hpp"
#include "engines/registry.hpp"
#include "workloads/runner/phase_figures.hpp"
#include "workloads/runner/phase_trace.hpp"
#include "workloads/runner/phase_verdict.hpp"
#include "workloads/runner/phase_ways.hpp"
#include "workloads/runner/ranks.hpp"

namespace aistor {
namespace {

struct CpuTimes {
  double user_s = 0;
  double sys_s = 0;
};

// This process and the children it has waited for (a storm's client processes).
CpuTimes cpu_now() {
  auto s = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  CpuTimes out;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    getrusage(who, &ru);
    out.user_s += s(ru.ru_utime);
    out.sys_s += s(ru.ru_stime);
  }
  return out;
}

// The counters of the devices beneath a phase's directory, taken when made and again at
// figures(): a filesystem without them (tmpfs, NFS) or unreadable counters say why instead.
class DiskWatch {
 public:
  explicit DiskWatch(const std::filesystem::path& dir) {
    try {
      set_ = find_disks(dir);
      before_ = read_counters(set_);
    } catch (const std::exception& e) {
      set_.disks.clear();
      set_.why = e.what();
    }
  }
  [[nodiscard]] nlohmann::json figures(double wall_s) const {
    std::vector<DiskCounters> after;
    DiskSet set = set_;
    try {
      after = read_counters(set_);
    } catch (const std::exception& e) {
      set.disks.clear();
      set.why = e.what();
    }
    return device_figures(set, before_, after, wall_s);
  }

 private:
  DiskSet set_;
  std::vector<DiskCounters> before_;
};

std::unique_ptr<Workload> build_workload(const PhaseSpec& spec) {
  ConfigNode node(spec.config, spec.path);
  return find_workload(spec.workload)->make(node);
}

// Applies the phase's cache policy to its files; returns what was done, for the report.
nlohmann::json apply_cache_policy(const PhaseSpec& spec,
                                  const std::vector<std::filesystem::path>& files) {
  nlohmann::json j{{"policy", to_string(spec.cache.kind)}, {"drop_caches", spec.cache.drop_caches}};
  if (spec.cache.kind == CacheKind::cold) {
    for (const auto& f : files)
      drop_from_cache(f);
    if (spec.cache.drop_caches) {
      std::string why;
      bool dropped = drop_all_caches(&why);
      j["drop_caches_done"] = dropped;
      if (!dropped) j["drop_caches_error"] = why;
    }
  } else if (spec.cache.kind == CacheKind::warm) {
    for (const auto& f : files)
      warm(f);
  }
  Residency r = residency(files);
  j["resident_bytes_before"] = r.resident_bytes;
  j["file_bytes"] = r.total_bytes;
  j["resident_fraction_before"] = r.fraction();
  return j;
}

std::string end_name(PumpEnd e) {
  switch (e) {
    case PumpEnd::done:
      return "done";
    case PumpEnd::limit:
      return "limit";
    case PumpEnd::deadline:
      return "deadline";
    case PumpEnd::error:
      return "error";
    case PumpEnd::interrupted:
      break;
  }
  return "interrupted";
}

// Untimed: creates the directory, lets the workload make its inputs, applies the cache policy.
void prepare_phase(const PhaseSpec& spec, Workload& workload, const PhaseEnv& env,
                   nlohmann::json& phase) {
  std::filesystem::create_directories(spec.dir);
  std::uint64_t t0 = now_ns();
  auto files = workload.prepare(env);
  phase["prepare_s"] = static_cast<double>(now_ns() - t0) / 1e9;
  phase["cache"] = apply_cache_policy(spec, files);
  double resident = phase["cache"]["resident_fraction_before"].get<double>();
  if (spec.cache.kind == CacheKind::cold && resident > 0.01) {
    phase["notes"].push_back(fmt::format(
        "cold phase found {:.1f}% of its data resident in the page cache", resident * 100));
  }
}

// Under mpirun: every rank prepares in turn (rank 0 first, so a generated model is written once
// and the others find it), and all of them learn whether any failed before anyone goes on.
void prepare_on_ranks(const PhaseSpec& spec, Workload& workload, const PhaseEnv& env, Ranks& ranks,
                      nlohmann::json& phase) {
  std::string error;
  for (int r = 0; r < ranks.size(); ++r) {
    if (r == ranks.rank()) {
      try {
        prepare_phase(spec, workload, env, phase);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    ranks.barrier();
  }
  const auto errors = ranks.all_strings(error);
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (!errors[r].empty()) throw InputError(fmt::format("rank {}: {}", r, errors[r]));
  }
}

struct PhaseEnd {
  Status status = Status::ok;
  std::string error;  // what failed, when failed

  void fail(std::string what) {
    if (status != Status::ok) return;
    status = Status::failed;
    error = std::move(what);
  }
};

// The phase's end from how each worker ended: the first failure names the error. A worker's
// failure stops the others, which then end "interrupted": the failure is the news.
PhaseEnd workers_end(const WorkersRan& ran, bool stopped, nlohmann::json& phase) {
  PhaseEnd end;
  nlohmann::json names = nlohmann::json::array();
  for (std::size_t i = 0; i < ran.ends.size(); ++i) {
    names.push_back(end_name(ran.ends[i].end));
    if (i < ran.errors.size() && !ran.errors[i].empty()) {
      end.fail(ran.errors[i]);
    } else if (ran.ends[i].end == PumpEnd::error) {
      const auto& details = ran.merged.error_details();
      end.fail(details.empty() ? std::string("I/O error (see errors.first)")
                               : describe(details.front()));
    }
  }
  for (const auto& e : ran.ends) {
    if (end.status == Status::ok && e.end == PumpEnd::interrupted) end.status = Status::interrupted;
  }
  if (stopped && end.status == Status::ok) end.status = Status::interrupted;
  phase["worker_ends"] = names;
  return end;
}

// Untimed, after the workers: the workload checks what it did (under mpirun each rank its own
// part, then rank 0 what only all parts together show). Returns each rank's figures.
std::vector<nlohmann::json> check_phase(Workload& workload, const PhaseEnv& env, Ranks* ranks,
                                        PhaseEnd& end, nlohmann::json& phase) {
  std::string check_error;
  if (end.status == Status::ok) {
    const std::uint64_t t0 = now_ns();
    try {
      workload.check(env);
    } catch (const std::exception& e) {
      check_error = e.what();
    }
    phase["check_s"] = static_cast<double>(now_ns() - t0) / 1e9;
  }
  std::vector<nlohmann::json> rank_metrics;
  if (ranks == nullptr) {
    if (!check_error.empty()) end.fail(check_error);
    return rank_metrics;
  }
  const auto all = ranks->all_strings(check_error);
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (!all[r].empty()) end.fail(fmt::format("rank {}: {}", r, all[r]));
  }
  if (workload.processes() == 0) {
    // Each rank's figures once it has checked its part (a check adds what it verified).
    const auto figures = ranks->gather(workload.client_summary().dump());
    for (std::size_t r = 0; r < figures.size(); ++r) {
      rank_metrics.push_back(nlohmann::json::parse(figures[r]));
      phase["across_ranks"]["rows"][r]["workload_metrics"] = rank_metrics.back();
    }
  }
  if (ranks->root() && end.status == Status::ok) {
    try {
      workload.every_rank_checked(env);
    } catch (const std::exception& e) {
      end.fail(e.what());
    }
  }
  return rank_metrics;
}

void add_storage_bytes(const std::optional<ProcIo>& before, const std::optional<ProcIo>& after,
                       std::uint64_t delivered, nlohmann::json& phase) {
  if (!before || !after) {
    phase["notes"].push_back("/proc/self/io unreadable: storage bytes unknown");
    return;
  }
  std::uint64_t read = after->read_bytes - before->read_bytes;
  phase["storage_read_bytes"] = read;
  phase["storage_write_bytes"] = after->write_bytes - before->write_bytes;
  phase["read_amplification"] =
      delivered ? nlohmann::json(static_cast<double>(read) / static_cast<double>(delivered))
                : nlohmann::json(nullptr);
}

// A GPU engine measured its copy ceiling (one GPU, its staging size): the phase's throughput as a
// fraction of the ceiling of every GPU its workers used.
void add_copy_ceiling(const PhaseSpec& spec, std::size_t workers, nlohmann::json& phase) {
  const double ceiling = phase["engine"].value("copy_ceiling_bytes_per_s", 0.0);
  if (ceiling <= 0 || !phase.contains("bytes_per_s")) return;
  std::set<int> used;
  for (std::size_t w = 0; w < workers; ++w)
    used.insert(spec.engine.gpus[w % spec.engine.gpus.size()]);
  const double all = ceiling * static_cast<double>(used.size());
  phase["copy_ceiling_bytes_per_s"] = all;
  phase["copy_ceiling_fraction"] = phase["bytes_per_s"].get<double>() / all;
}

nlohmann::json phase_header(const PhaseSpec& spec, unsigned repetition) {
  return {{"name", spec.name},
          {"workload", spec.workload},
          {"repetition", repetition},
          {"params", spec.params.is_null() ? nlohmann::json::object() : spec.params},
          {"dir", spec.dir.string()},
          {"notes", nlohmann::json::array()}};
}

nlohmann::json run_phase(const PhaseSpec& spec, unsigned repetition, std::size_t index,
                         std::size_t total, const RunOptions& options) {
  nlohmann::json phase = phase_header(spec, repetition);
  static const std::atomic<bool> never{false};
  const std::atomic<bool>& stop = options.stop ? *options.stop : never;
  auto workload = build_workload(spec);
  const Goal goal = workload->goal();
  if (options.progress) options.progress({&spec, index, total, 0, 0, 0, goal, true});
  Ranks* ranks = world_ranks();
  check_trace_target(spec, workload->processes(), ranks != nullptr);
  PhaseEnv env{spec.dir, &stop, options.allow_device_writes};
  if (ranks != nullptr) {
    env.rank = static_cast<unsigned>(ranks->rank());
    env.ranks = static_cast<unsigned>(ranks->size());
    prepare_on_ranks(spec, *workload, env, *ranks, phase);
  } else {
    prepare_phase(spec, *workload, env, phase);
  }

  const DiskWatch disks(spec.target());
  auto io_before = proc_self_io();
  const CpuTimes cpu_before = cpu_now();
  std::uint64_t start = 0;
  PhaseProgress progress;
  if (options.progress) {
    progress = [&](std::uint64_t bytes, std::uint64_t ops) {
      const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
      options.progress({&spec, index, total, elapsed, bytes, ops, goal, false});
    };
  }
  WorkersRan ran = ranks != nullptr ? run_on_ranks(spec, *workload, *ranks, stop, start, phase)
                   : workload->processes() > 0
                       ? run_on_clients(spec, *workload, stop, progress, start, phase)
                       : run_on_threads(spec, *workload, stop, progress, start, phase);
  phase["queue_depth"] = spec.engine.queue_depth;
  const CpuTimes cpu_after = cpu_now();
  auto io_after = proc_self_io();
  if (ran.clients_read_bytes && io_before && io_after) {
    io_after = io_before;
    io_after->read_bytes += *ran.clients_read_bytes;
    io_after->write_bytes += ran.clients_write_bytes.value_or(0);
  }

  PhaseEnd end = workers_end(ran, stop.load(), phase);
  const auto rank_metrics = check_phase(*workload, env, ranks, end, phase);
  if (spec.trace) {
    try {
      phase["trace"] = write_phase_trace(spec, ran, phase["engine"]);
    } catch (const std::exception& e) {
      end.fail(fmt::format("trace: {}", e.what()));
    }
  }
  phase["status"] = to_string(end.status);
  if (end.status == Status::failed) phase["error"] = end.error;
  phase.update(to_json(ran.merged));
  add_storage_bytes(io_before, io_after, ran.merged.stats(Direction::read).bytes, phase);
  add_copy_ceiling(spec, ran.ends.size(), phase);
  phase["cpu"] = {{"user_s", cpu_after.user_s - cpu_before.user_s},
                  {"sys_s", cpu_after.sys_s - cpu_before.sys_s}};
  if (!ran.cpu_s.empty()) phase["cpu"]["workers_s"] = ran.cpu_s;
  phase["workload_metrics"] = phase.contains("across_ranks")
                                  ? workload->summarize_ranks(rank_metrics)
                                  : workload->summarize();
  phase["devices"] = disks.figures(phase.value("duration_s", 0.0));
  phase["verdict"] = phase_verdict(phase, std::max(1u, std::thread::hardware_concurrency()));
  return phase;
}

}  // namespace

namespace {

// Whether the run must stop; under mpirun every rank agrees, so they all take the same path.
bool stopping(const RunOptions& options) {
  const bool mine = options.stop && options.stop->load();
  Ranks* ranks = world_ranks();
  return ranks ? ranks->any(mine) : mine;
}

// Runs one phase (a repetition or a search trial) and files it in `out`; false when the run must
// end (interrupted).
bool run_and_file(const PhaseSpec& spec, unsigned rep, std::size_t index, std::size_t total,
                  const RunOptions& options, RunOutcome& out) {
  nlohmann::json phase;
  try {
    phase = run_phase(spec, rep, index, total, options);
  } catch (const std::exception& e) {
    // Setup failed (layout, open, engine creation): the cell is data, the run goes on.
    phase = phase_header(spec, rep);
    const bool stopped = options.stop && options.stop->load();
    phase["status"] = to_string(stopped ? Status::interrupted : Status::failed);
    phase["error"] = e.what();
    phase["engine"] = to_json(spec.engine);
  }
  if (options.phase_done) options.phase_done(phase);
  const auto status = status_from_string(phase["status"].get<std::string>());
  out.status = worse(out.status, status.value_or(Status::failed));
  out.phases.push_back(std::move(phase));
  const bool interrupted = out.status == Status::interrupted;
  Ranks* ranks = world_ranks();
  return ranks ? !ranks->any(interrupted) : !interrupted;
}

std::size_t search_trials_estimate(const SearchSpec& s) {
  std::size_t doublings = 1;
  for (std::int64_t v = std::max<std::int64_t>(s.from, 1); v < s.to; v *= 2)
    ++doublings;
  return 2 * doublings;
}

// Doubling from `from` while the metric meets the target (stopping at `to`), then bisecting
// between the last value that met it and the first that did not.
void run_search(const PhaseSpec& spec, std::size_t& index, std::size_t total,
                const RunOptions& options, RunOutcome& out) {
  const SearchSpec& s = *spec.search;
  nlohmann::json trials = nlohmann::json::array();
  std::optional<std::int64_t> good;
  std::optional<std::int64_t> bad;
  bool go_on = true;
  auto trial = [&](std::int64_t v) {
    PhaseSpec t = spec;
    t.search.reset();
    t.config[s.param] = v;
    if (!t.params.is_object()) t.params = nlohmann::json::object();
    t.params[s.param] = v;
    t.name = fmt::format("{}[{}={}]", spec.name, s.param, v);
    go_on = run_and_file(t, 0, index++, total, options, out);
    const nlohmann::json& phase = out.phases.back();
    const auto value = metric_at(phase, s.metric);
    const bool met = phase["status"] == to_string(Status::ok) && value &&
                     (s.at_most ? *value <= *s.at_most : *value >= s.at_least);
    trials.push_back({{"value", v},
                      {"metric", value ? nlohmann::json(*value) : nlohmann::json(nullptr)},
                      {"status", phase["status"]},
                      {"met", met}});
    (met ? good : bad) = v;
    return met;
  };
  for (std::int64_t v = s.from; go_on;) {
    if (!trial(v) || v == s.to) break;
    v = v == 0 ? 1 : std::min(v * 2, s.to);
  }
  while (go_on && good && bad && *bad - *good > 1)
    (void)trial(*good + (*bad - *good) / 2);
  nlohmann::json result({{"name", spec.name},
                         {"param", s.param},
                         {"metric", s.metric},
                         {"from", s.from},
                         {"to", s.to},
                         {"best", good ? nlohmann::json(*good) : nlohmann::json(nullptr)},
                         {"limited_by_range", good && *good == s.to},
                         {"trials", trials}});
  if (s.at_most) {
    result["at_most"] = *s.at_most;
  } else {
    result["at_least"] = s.at_least;
  }
  out.searches.push_back(std::move(result));
}

}  // namespace

RunOutcome run_plan(const Plan& plan, const RunOptions& options) {
  RunOutcome out;
  std::size_t total = 0;
  for (const auto& p : plan.phases)
    total += p.search ? search_trials_estimate(*p.search) : p.repeat;
  std::size_t index = 0;
  for (const auto& spec : plan.phases) {
    if (stopping(options)) {
      out.status = Status::interrupted;
      return out;
    }
    if (spec.search) {
      run_search(spec, index, total, options, out);
      if (out.status == Status::interrupted) return out;
      continue;
    }
    for (unsigned rep = 0; rep < spec.repeat; ++rep, ++index) {
      if (stopping(options)) {
        out.status = Status::interrupted;
        return out;
      }
      if (!run_and_file(spec, rep, index, total, options, out)) return out;
    }
    if (spec.repeat > 1) out.repetitions.push_back(summarize_repetitions(spec, out.phases));
  }
  return out;
}

}  // namespace aistor
