#include "workloads/replay/replay_workload.hpp"

#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>

#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "workloads/replay/replay_source.hpp"

namespace aistor {
namespace {

constexpr unsigned kMaxReplayThreads = 1024;

const char* to_string(ReplayTiming t) {
  return t == ReplayTiming::afap ? "afap" : t == ReplayTiming::original ? "original" : "scaled";
}

// Half the machine's memory: what one thread's buffers may take at most, all threads together.
std::uint64_t buffer_budget() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0
             ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2
             : UINT64_MAX;
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e3;
}

// Sleeps until `at` (steady ns), waking to look at `stop`; false when stopped or past `deadline`
// (0: none) first.
bool sleep_until(std::uint64_t at, std::uint64_t deadline, const std::atomic<bool>& stop) {
  for (std::uint64_t now = now_ns(); now < at; now = now_ns()) {
    if (stop.load(std::memory_order_relaxed) || (deadline != 0 && now >= deadline)) return false;
    const std::uint64_t wake = std::min({at, now + 20'000'000, deadline ? deadline : at});
    timespec ts{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  }
  return !stop.load(std::memory_order_relaxed);
}

}  // namespace

ReplayWorkload::ReplayWorkload(ReplayParams params) : params_(std::move(params)) {}

ReplayParams ReplayWorkload::parse(ConfigNode& phase) {
  ReplayParams p;
  p.source = phase.string("source", std::nullopt);
  if (p.source.empty()) phase.fail("source", "the trace file to replay");
  const std::string format =
      phase.choice("format", "auto", {"auto", "aistor", "fio", "blkparse", "mlperf-kv"});
  p.format = *formats::trace_format_from(format);
  const std::string timing = phase.choice("timing", "afap", {"afap", "original", "scaled"});
  p.timing = timing == "afap"       ? ReplayTiming::afap
             : timing == "original" ? ReplayTiming::original
                                    : ReplayTiming::scaled;
  if (phase.has("time_scale") && p.timing != ReplayTiming::scaled)
    phase.fail("time_scale", "is for timing \"scaled\" only");
  p.time_scale = phase.number("time_scale", 1.0, 1e-6, 1e6);
  if (p.timing == ReplayTiming::scaled && !phase.has("time_scale"))
    phase.fail("time_scale",
               "timing \"scaled\" needs it: each op is issued at its recorded time x it");
  p.threads = static_cast<unsigned>(phase.integer("threads", 0, 0, kMaxReplayThreads));
  p.read_only = phase.boolean("read_only", false);
  p.duration_ns = phase.duration_ns("duration", 0);
  return p;
}

unsigned ReplayWorkload::workers() const {
  return plan_ ? static_cast<unsigned>(plan_->threads.size()) : 1;
}

std::vector<std::filesystem::path> ReplayWorkload::prepare(const PhaseEnv& env) {
  tally_ = {};
  const formats::Trace trace = formats::load_trace(params_.source, params_.format);
  ReplayShape shape;
  shape.threads = params_.threads;
  shape.read_only = params_.read_only;
  shape.time_scale = params_.timing == ReplayTiming::scaled ? params_.time_scale : 1.0;
  plan_ = std::make_unique<ReplayPlan>(plan_replay(trace, shape, env.dir, kMaxReplayThreads));
  plan_->trace_facts["source"] = params_.source.string();
  return prepare_replay_files(*plan_, env.dir, env.stop);
}

// The thread's ops in runs between syncs: each run through the pump until its last op completed,
// then the sync (at its time, when timed), as the recording made the file durable after its writes.
void ReplayWorkload::play(WorkerContext& ctx, std::span<const ReplayOp> ops,
                          std::span<const FileId> ids, Pump& pump, const PumpLimits& limits,
                          ReplayTally& mine) const {
  const bool timed = params_.timing != ReplayTiming::afap;
  for (std::size_t at = 0; at < ops.size();) {
    std::size_t end = at;
    while (end < ops.size() && ops[end].op != kTraceSync)
      ++end;
    if (end > at) {
      ReplaySource source(ops.subspan(at, end - at), ids, timed, ctx.start_ns, mine);
      ctx.outcome = pump.run(source, limits);
      if (ctx.outcome.end != PumpEnd::done) return;
    }
    if (end == ops.size()) return;
    const ReplayOp& sync = ops[end];
    if (timed && !sleep_until(ctx.start_ns + sync.due_ns, limits.deadline_ns, ctx.stop)) {
      ctx.outcome.end = ctx.stop.load() ? PumpEnd::interrupted : PumpEnd::deadline;
      return;
    }
    const std::uint64_t t0 = now_ns();
    if (timed)
      mine.lag.record(t0 > ctx.start_ns + sync.due_ns ? t0 - ctx.start_ns - sync.due_ns : 0);
    ctx.engine.sync(ids[sync.file]);
    ctx.recorder.note_sync(ids[sync.file], t0, now_ns());
    ctx.recorder.extend_to(now_ns());
    ++mine.syncs;
    at = end + 1;
  }
}

void ReplayWorkload::run(WorkerContext& ctx) {
  const auto& ops = plan_->threads[ctx.index];
  const std::uint64_t want =
      std::uint64_t{plan_->max_length[ctx.index]} * ctx.queue_depth * plan_->threads.size();
  if (want > buffer_budget()) {
    throw InputError(
        fmt::format("replay: {} threads x queue depth {} x the longest op ({} bytes) "
                    "is more than half the machine's memory",
                    plan_->threads.size(), ctx.queue_depth, plan_->max_length[ctx.index]));
  }
  // The files this thread touches, opened untimed-cheap before the first op (open is not I/O).
  std::vector<FileId> ids(plan_->files.size(), 0);
  std::vector<bool> used(plan_->files.size(), false);
  std::vector<bool> writes(plan_->files.size(), false);
  for (const auto& o : ops) {
    used[o.file] = true;
    writes[o.file] = writes[o.file] || o.op == kTraceWrite;
  }
  std::vector<FileId> opened;
  for (std::size_t f = 0; f < used.size(); ++f) {
    if (!used[f]) continue;
    ids[f] = ctx.engine.open(plan_->files[f].path, writes[f] ? Access::read_write : Access::read);
    ctx.recorder.name_file(ids[f], plan_->files[f].path.string());
    opened.push_back(ids[f]);
  }
  ReplayTally mine;
  Pump pump(ctx.engine, ctx.queue_depth, std::max<std::uint32_t>(plan_->max_length[ctx.index], 1),
            ctx.recorder, ctx.stop, ctx.progress);
  PumpLimits limits;
  limits.deadline_ns = params_.duration_ns != 0 ? ctx.start_ns + params_.duration_ns : 0;
  limits.stop_on_error = ctx.stop_on_error;
  play(ctx, std::span<const ReplayOp>(ops), ids, pump, limits, mine);
  mine.end_ns = now_ns();
  for (FileId id : opened)
    ctx.engine.close(id);
  const std::scoped_lock lock(mutex_);
  tally_.merge(mine);
  start_ns_ = ctx.start_ns;
}

nlohmann::json ReplayWorkload::summarize() const {
  if (!plan_) return nullptr;
  const std::scoped_lock lock(mutex_);
  std::uint64_t planned = 0;
  for (const auto& t : plan_->threads) {
    planned += static_cast<std::uint64_t>(
        std::count_if(t.begin(), t.end(), [](const ReplayOp& o) { return o.op != kTraceSync; }));
  }
  std::uint64_t created = 0;
  for (const auto& f : plan_->files)
    created += f.created ? 1 : 0;
  const double wall_s =
      tally_.end_ns > start_ns_ ? static_cast<double>(tally_.end_ns - start_ns_) / 1e9 : 0.0;
  nlohmann::json j{{"trace", plan_->trace_facts},
                   {"timing", to_string(params_.timing)},
                   {"threads", plan_->threads.size()},
                   {"read_only", params_.read_only},
                   {"ops_planned", planned},
                   {"ops_issued", tally_.issued},
                   {"ops_not_issued", planned - std::min(planned, tally_.issued)},
                   {"writes_dropped", plan_->writes_dropped},
                   {"syncs", tally_.syncs},
                   {"syncs_dropped", plan_->syncs_dropped},
                   {"files_created", created},
                   {"bytes_laid_out", plan_->bytes_laid_out},
                   {"duration_s", wall_s}};
  if (params_.timing == ReplayTiming::scaled) j["time_scale"] = params_.time_scale;
  if (wall_s > 0) {
    j["ops_per_s"] = static_cast<double>(tally_.issued) / wall_s;
    if (plan_->trace_facts.contains("ops_per_s"))
      j["rate_vs_recorded"] =
          j["ops_per_s"].get<double>() / plan_->trace_facts["ops_per_s"].get<double>();
  }
  if (params_.timing != ReplayTiming::afap && tally_.lag.count() > 0) {
    j["issue_lag"] = {
        {"p50_us", us(tally_.lag.quantile(0.5))},    {"p99_us", us(tally_.lag.quantile(0.99))},
        {"p999_us", us(tally_.lag.quantile(0.999))}, {"max_us", us(tally_.lag.max())},
        {"mean_us", tally_.lag.mean() / 1e3},        {"late_over_1ms", tally_.late_1ms}};
  }
  return j;
}

WorkloadInfo replay_workload_info() {
  return {"replay",
          "plays a trace through the phase's engine: aistor's own traces, fio iologs, blkparse "
          "text, MLPerf KV-cache CSV; afap or at the recorded times, with the issue lag measured",
          [](ConfigNode& phase) -> std::unique_ptr<Workload> {
            return std::make_unique<ReplayWorkload>(ReplayWorkload::parse(phase));
          }};
}

}  // namespace aistor
