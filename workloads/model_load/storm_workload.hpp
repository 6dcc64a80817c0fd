#pragma once
// The storm workload: a fleet starting at once. `clients` processes (forked by the runner, see
// client_processes.hpp) wait on one barrier, then all load the same model, each exactly as the
// model-load workload would (same keys: path or model, chunk_size, order, threads per client).
// With `refresh`, the clients first load the current version (untimed, before the barrier) and
// the timed load is of a new version, as when a running fleet rolls weights: a generated model's
// new version is written beside it (other content, "-v2" in the name); with a user's `path`,
// `previous` names the version being replaced.
//
// Reports one row per client (start, first byte, first tensor and finish after the barrier's
// release, bytes, rate, storage bytes it read: who paid for the disk and who was served by the
// page cache), completion min/p50/p99/max, the straggler ratio max/median, and aggregate
// throughput when the first client finished (every client's bytes at that moment) and when the
// last did.
#include <memory>
#include <vector>

#include "workloads/client_result.hpp"
#include "workloads/model_load/model_load_workload.hpp"

namespace aistor {

struct StormParams {
  unsigned clients = 8;
  bool refresh = false;
  std::filesystem::path previous;  // refresh of a user's model: the version being replaced
  ModelLoadParams load;
};

class StormWorkload final : public Workload {
 public:
  explicit StormWorkload(StormParams params);

  [[nodiscard]] unsigned workers() const override { return params_.load.threads; }
  [[nodiscard]] unsigned processes() const override { return params_.clients; }
  [[nodiscard]] Goal goal() const override;
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  void before_start(WorkerContext& ctx) override;
  void run(WorkerContext& ctx) override;
  [[nodiscard]] nlohmann::json client_summary() const override;
  void clients_done(const ClientRun& run) override;
  [[nodiscard]] nlohmann::json summarize() const override;

  [[nodiscard]] static StormParams parse(ConfigNode& phase);

 private:
  StormParams params_;
  std::unique_ptr<ModelLoadWorkload> load_;      // the version every client loads, timed
  std::unique_ptr<ModelLoadWorkload> previous_;  // refresh: the version it replaces
  std::vector<ClientResult> clients_;
  std::uint64_t start_ns_ = 0;       // the barrier's release
  std::uint64_t first_done_ns_ = 0;  // when the first client finished
};

[[nodiscard]] WorkloadInfo storm_workload_info();

}  // namespace aistor
