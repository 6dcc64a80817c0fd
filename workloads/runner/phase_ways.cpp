#include "workloads/runner/phase_ways.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "core/clock.hpp"
#include "engines/registry.hpp"
#include "workloads/runner/client_processes.hpp"
#include "workloads/runner/rank_clients.hpp"
#include "workloads/runner/rank_rows.hpp"
#include "workloads/runner/worker_threads.hpp"

namespace aistor {
namespace {

// What a client run leaves for the phase, whichever clients ran it.
WorkersRan from_clients(const PhaseSpec& spec, Workload& workload, ClientRun& run,
                        nlohmann::json& phase) {
  WorkersRan out;
  out.clients_read_bytes = 0;
  out.clients_write_bytes = 0;
  for (const auto& c : run.clients) {
    *out.clients_read_bytes += c.storage_read_bytes.value_or(0);
    *out.clients_write_bytes += c.storage_write_bytes.value_or(0);
  }
  workload.clients_done(run);
  out.merged = std::move(run.merged);
  out.errors = std::move(run.errors);
  out.ends = std::move(run.ends);
  phase["engine"] = run.engine.is_null() ? to_json(spec.engine) : run.engine;
  phase["workers"] = out.ends.size();
  return out;
}

}  // namespace

WorkersRan run_on_threads(const PhaseSpec& spec, Workload& workload, const std::atomic<bool>& stop,
                          const PhaseProgress& progress, std::uint64_t& start_ns,
                          nlohmann::json& phase) {
  // Engines are made before the clock starts: rings, registrations and probes are not I/O.
  std::vector<std::unique_ptr<WorkerSlot>> slots;
  for (unsigned i = 0; i < workload.workers(); ++i) {
    slots.push_back(std::make_unique<WorkerSlot>());
    EngineConfig engine = spec.engine;
    engine.worker = i;
    slots.back()->engine = make_engine(engine);
  }
  phase["engine"] = slots.front()->engine->describe();
  phase["workers"] = slots.size();
  const bool ready = before_start_workers(spec, workload, slots, stop);
  start_ns = now_ns();
  WorkersRan out;
  for (auto& s : slots)
    s->recorder = std::make_unique<Recorder>(start_ns, spec.interval_ns);
  if (spec.trace) {
    // At most 32 Mi ops (1.5 GiB) a phase in memory, and 1 Mi a worker whatever their number.
    const std::size_t cap = std::max<std::size_t>(1u << 20, (32u << 20) / slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      out.traces.push_back(
          std::make_unique<TraceLog>(static_cast<std::uint32_t>(i), start_ns, cap));
      slots[i]->recorder->trace_into(out.traces.back().get());
    }
  }
  if (ready) {
    run_workers(spec, workload, start_ns, slots, stop, progress);
  } else {
    for (auto& s : slots)
      s->outcome.end = PumpEnd::interrupted;  // the one that threw names the failure
  }
  out.merged = Recorder(start_ns, spec.interval_ns);
  for (const auto& s : slots) {
    out.merged.merge(*s->recorder);
    out.errors.push_back(s->error);
    out.ends.push_back(s->outcome);
    out.cpu_s.push_back(s->cpu_s);
  }
  return out;
}

WorkersRan run_on_clients(const PhaseSpec& spec, Workload& workload, const std::atomic<bool>& stop,
                          const PhaseProgress& progress, std::uint64_t& start_ns,
                          nlohmann::json& phase) {
  start_ns = now_ns();  // moved to the barrier's release once the clients report it
  ClientRun run = run_clients(spec, workload, stop, progress);
  start_ns = run.start_ns;
  phase["clients"] = run.clients.size();
  return from_clients(spec, workload, run, phase);
}

WorkersRan run_on_ranks(const PhaseSpec& spec, Workload& workload, Ranks& ranks,
                        const std::atomic<bool>& stop, std::uint64_t& start_ns,
                        nlohmann::json& phase) {
  start_ns = now_ns();
  ClientRun run = run_rank_clients(spec, workload, ranks, stop);
  start_ns = run.start_ns;
  phase["ranks"] = ranks.size();
  const bool storm = workload.processes() > 0;
  if (storm) {
    phase["clients"] = run.clients.size();
    if (spec.config.contains("clients") && spec.config["clients"] != ranks.size()) {
      phase["notes"].push_back(
          fmt::format("under mpirun every rank is one client: {} clients, not the config's {}",
                      ranks.size(), spec.config["clients"].dump()));
    }
  } else if (ranks.root()) {
    phase["across_ranks"] = rank_rows(run);
  }
  return from_clients(spec, workload, run, phase);
}

}  // namespace aistor
