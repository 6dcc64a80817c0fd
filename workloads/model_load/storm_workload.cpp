#include "workloads/model_load/storm_workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "core/config_node.hpp"
#include "workloads/common/completion_tails.hpp"

namespace aistor {

StormWorkload::StormWorkload(StormParams params)
    : params_(std::move(params)), load_(std::make_unique<ModelLoadWorkload>(params_.load)) {
  if (params_.refresh) {
    ModelLoadParams old = params_.load;
    old.version.clear();
    old.seed = 1;
    if (!params_.previous.empty()) old.path = params_.previous;
    previous_ = std::make_unique<ModelLoadWorkload>(old);
  }
}

StormParams StormWorkload::parse(ConfigNode& phase) {
  StormParams p;
  p.clients = static_cast<unsigned>(phase.integer("clients", 8, 1, 1024));
  p.refresh = phase.boolean("refresh", false);
  if (phase.has("previous")) {
    if (!p.refresh) phase.fail("previous", "only with \"refresh\": true");
    p.previous = phase.string("previous", std::nullopt);
  }
  p.load = ModelLoadWorkload::parse(phase);
  if (p.refresh && p.load.path.empty()) {
    p.load.version = "-v2";
    p.load.seed = 2;
  } else if (p.refresh && p.previous.empty()) {
    phase.fail("refresh", "with \"path\", give \"previous\": the model version being replaced");
  }
  return p;
}

Goal StormWorkload::goal() const {
  return {load_->goal().bytes * params_.clients, 0};
}

std::vector<std::filesystem::path> StormWorkload::prepare(const PhaseEnv& env) {
  clients_.clear();
  start_ns_ = 0;
  first_done_ns_ = 0;
  // The version being replaced is loaded by the clients before the barrier, so only the new one
  // is the phase's files (cache policy, residency).
  if (previous_) (void)previous_->prepare(env);
  return load_->prepare(env);
}

void StormWorkload::before_start(WorkerContext& ctx) {
  if (previous_) previous_->run(ctx);
}

void StormWorkload::run(WorkerContext& ctx) {
  load_->run(ctx);
}

nlohmann::json StormWorkload::client_summary() const {
  const LoadTiming t = load_->timing();
  return {{"start_ns", t.start_ns},
          {"first_byte_ns", t.first_byte_ns},
          {"first_tensor_ns", t.first_tensor_ns},
          {"end_ns", t.end_ns}};
}

void StormWorkload::clients_done(const ClientRun& run) {
  clients_ = run.clients;
  start_ns_ = run.start_ns;
  first_done_ns_ = run.first_done_ns;
}

nlohmann::json StormWorkload::summarize() const {
  nlohmann::json rows = nlohmann::json::array();
  std::vector<double> completions;
  std::uint64_t bytes = 0, at_first = 0, storage = 0, last_end = 0;
  bool storage_known = true;
  for (const auto& c : clients_) {
    const auto& m = c.metrics;
    // A stamp on the run's clock (a rank's clock differs by its measured offset); 0: never.
    const auto stamp = [&](const char* key) {
      const std::uint64_t t = m.is_object() ? m.value(key, std::uint64_t{0}) : std::uint64_t{0};
      return t ? static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + c.clock_offset_ns) : t;
    };
    const std::uint64_t end = stamp("end_ns");
    const bool ok = c.error.empty() && end > 0;
    nlohmann::json row{{"client", c.index},
                       {"pid", c.pid},
                       {"host", c.host},
                       {"rank", c.rank >= 0 ? nlohmann::json(c.rank) : nlohmann::json(nullptr)},
                       {"clock_offset_ns", c.clock_offset_ns},
                       {"clock_rtt_ns", c.clock_rtt_ns},
                       {"status", !c.error.empty() ? "failed" : (ok ? "ok" : "stopped")},
                       {"start_s", since(start_ns_, stamp("start_ns"))},
                       {"first_byte_s", since(start_ns_, stamp("first_byte_ns"))},
                       {"first_tensor_s", since(start_ns_, stamp("first_tensor_ns"))},
                       {"finish_s", since(start_ns_, end)},
                       {"bytes", c.bytes},
                       {"ops", c.ops},
                       {"bytes_at_first_done", c.bytes_at_first_done}};
    if (!c.error.empty()) row["error"] = c.error;
    const double load_s = seconds_between(stamp("start_ns"), end);
    row["load_s"] = load_s;
    row["bytes_per_s"] = load_s > 0 ? static_cast<double>(c.bytes) / load_s : 0.0;
    if (c.storage_read_bytes) {
      row["storage_read_bytes"] = *c.storage_read_bytes;
      row["page_cache_fraction"] =
          c.bytes ? std::max(0.0, 1.0 - static_cast<double>(*c.storage_read_bytes) /
                                            static_cast<double>(c.bytes))
                  : 0.0;
      storage += *c.storage_read_bytes;
    } else {
      row["storage_read_bytes"] = nullptr;
      storage_known = false;
    }
    rows.push_back(std::move(row));
    bytes += c.bytes;
    at_first += c.bytes_at_first_done;
    if (ok) {
      completions.push_back(seconds_between(start_ns_, end));
      last_end = std::max(last_end, end);
    }
  }
  std::sort(completions.begin(), completions.end());
  nlohmann::json out{{"clients", clients_.empty() ? params_.clients : clients_.size()},
                     {"threads_per_client", params_.load.threads},
                     {"refresh", params_.refresh},
                     {"model", load_->describe_model()},
                     {"client_rows", rows},
                     {"completed", completions.size()},
                     {"bytes", bytes},
                     {"storage_read_bytes", storage_known ? nlohmann::json(storage) : nullptr}};
  if (completions.empty()) return out;
  const double median = nearest_rank(completions, 0.5);
  const double first_s = seconds_between(start_ns_, first_done_ns_);
  const double last_s = seconds_between(start_ns_, last_end);
  out["completion_s"] = {{"min", completions.front()},
                         {"p50", median},
                         {"p99", nearest_rank(completions, 0.99)},
                         {"max", completions.back()}};
  out["straggler_ratio"] = median > 0 ? completions.back() / median : 0.0;
  // Without memory the clients share (MPI ranks) no snapshot was taken: null, not zero.
  out["first_done_s"] = first_done_ns_ ? nlohmann::json(first_s) : nlohmann::json(nullptr);
  out["first_done_bytes_per_s"] = first_done_ns_ && first_s > 0
                                      ? nlohmann::json(static_cast<double>(at_first) / first_s)
                                      : nlohmann::json(nullptr);
  out["last_done_s"] = last_s;
  out["last_done_bytes_per_s"] = last_s > 0 ? static_cast<double>(bytes) / last_s : 0.0;
  out["slowest"] = slowest_and_hosts(rows, out);
  return out;
}

WorkloadInfo storm_workload_info() {
  WorkloadInfo info{
      "storm",
      "many client processes load the same model at once after a barrier (a startup storm), "
      "or re-load a new version (refresh); per-client rows and tails",
      [](ConfigNode& phase) -> std::unique_ptr<Workload> {
        return std::make_unique<StormWorkload>(StormWorkload::parse(phase));
      },
      false,
      "its clients are forked processes, and CUDA cannot be used in a forked child once the "
      "parent has used it; model-load loads into GPU memory"};
  info.over_ranks = true;
  return info;
}

}  // namespace aistor
