#pragma once
// The workload interface: what I/O a phase does, in what order, on how many workers.
//
// A workload is built from its phase's config (reading its own keys through ConfigNode, so bad
// values fail at validation), prepares its inputs untimed, then run() is called once on each worker
// thread with that worker's own engine and recorder. Workloads never call the kernel for timed I/O:
// they hand requests to the pump.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/recorder.hpp"
#include "engines/engine.hpp"
#include "engines/pump.hpp"

namespace aistor {

class ConfigNode;
struct ClientRun;  // workloads/client_result.hpp

struct PhaseEnv {
  std::filesystem::path dir;  // the phase's target directory (exists)
  const std::atomic<bool>* stop = nullptr;
  bool allow_device_writes = false;  // --allow-device-writes: a phase may write a block device
  // Under mpirun: this process is rank `rank` of `ranks`, and a workload that runs across ranks
  // (WorkloadInfo::over_ranks) does its share of the phase here (ranks.hpp).
  unsigned rank = 0;
  unsigned ranks = 1;
};

struct WorkerContext {
  unsigned index = 0;
  Engine& engine;
  Recorder& recorder;
  const std::atomic<bool>& stop;
  unsigned queue_depth = 1;
  bool stop_on_error = true;
  std::uint64_t start_ns = 0;  // the phase's time zero
  ProgressCounters* progress = nullptr;
  PumpOutcome outcome{};  // set by run()
};

// What the phase aims at, for the progress line's ETA.
struct Goal {
  std::uint64_t bytes = 0;        // 0: unknown
  std::uint64_t duration_ns = 0;  // 0: not time-based
};

class Workload {
 public:
  virtual ~Workload() = default;

  [[nodiscard]] virtual unsigned workers() const = 0;
  [[nodiscard]] virtual Goal goal() const = 0;
  // Untimed. Makes or checks inputs; returns the files the phase will touch (for cache policy,
  // residency). Honors env.stop. Throws SystemError/InputError on failure.
  [[nodiscard]] virtual std::vector<std::filesystem::path> prepare(const PhaseEnv& env) = 0;
  // Timed, on each worker thread concurrently; must be safe for distinct `ctx.index` values.
  virtual void run(WorkerContext& ctx) = 0;
  // Untimed, after a phase whose workers all ended ok: checks what the phase wrote (a pack's
  // round trip). Throws InputError when the check fails, which fails the phase.
  virtual void check(const PhaseEnv& /*env*/) {}
  // Untimed, under mpirun at rank 0 only, once every rank's check() passed (a pack marks its
  // output complete). Without mpirun check() does what this would.
  virtual void every_rank_checked(const PhaseEnv& /*env*/) {}
  // Workload-specific figures for the report's "workload" block (null when none).
  [[nodiscard]] virtual nlohmann::json summarize() const { return nullptr; }

  // Clients as processes (a storm). 0: the workers are threads of this process. N > 0: after
  // prepare() the runner forks N client processes; each makes its own engines, runs
  // before_start() on each of its workers() threads, waits with every other client on one start
  // barrier, then runs run() on them. What each client measured comes back to the parent.
  [[nodiscard]] virtual unsigned processes() const { return 0; }
  // In a client, untimed, before the start barrier (a storm's refresh loads the version being
  // replaced here); its I/O goes to a scratch recorder.
  virtual void before_start(WorkerContext& /*ctx*/) {}
  // In a client (a storm's process, or an MPI rank), after its workers ended: its own figures,
  // sent to the parent or rank 0. A thread workload's are its summarize().
  [[nodiscard]] virtual nlohmann::json client_summary() const { return summarize(); }
  // In the parent, after every client ended, before summarize(): what each client measured.
  virtual void clients_done(const ClientRun& /*run*/) {}
  // At rank 0 under mpirun, for a thread workload: the phase's figures from every rank's
  // client_summary(), in rank order (each is also in its rank's row). Null when there is nothing
  // to add up.
  [[nodiscard]] virtual nlohmann::json summarize_ranks(
      const std::vector<nlohmann::json>& /*per_rank*/) const {
    return nullptr;
  }
};

struct WorkloadInfo {
  std::string name;
  std::string summary;
  // Reads the workload's keys from the phase object; the runner has already read the common ones.
  std::function<std::unique_ptr<Workload>(ConfigNode& phase)> make;
  // Whether it runs on engines that deliver into GPU memory (EngineInfo::device_memory): only a
  // workload that never parses, stamps or checks the bytes it moves.
  bool device_memory = false;
  // Why not, when it does not: the end of the config error's sentence.
  std::string no_device_memory_why =
      "it checks the bytes it moves; model-load, raw, samples and checkpoint can";
  // Whether it runs across the ranks of an MPI job (each rank its share of the phase).
  bool over_ranks = false;
};

[[nodiscard]] const std::vector<WorkloadInfo>& workloads();
[[nodiscard]] const WorkloadInfo* find_workload(std::string_view name);

}  // namespace aistor
