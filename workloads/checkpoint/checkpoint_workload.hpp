#pragma once
// Checkpoint save and restore, sharded like parallel training (CheckpointSpec), durable and
// verifiable (checkpoint_content.hpp).
//
// save: one worker per rank that holds bytes; each writes its shard sequentially in `block_size`
// requests to "<checkpoint_dir>/rank-NNNNN.ckpt.tmp" (O_DIRECT: aligned, the tail padded then
// truncated), fsyncs it, renames it into place and fsyncs the directory. The phase's throughput
// includes the fsync (time to durable); the workload reports each rank's write, sync and durable
// times apart. The manifest (per-block CRC-32C, computed untimed from the content's definition) is
// written last, once every rank is durable. A failed write (ENOSPC, EIO) removes that rank's
// temporary.
// rhythm (save): N checkpoints with simulated compute between them, blocking (the accelerators
// wait for each save) or async (they wait only for a copy of the state into a host snapshot, and
// for the previous write if it is still running); reports the fraction of wall time the
// accelerators sat idle and how much of the writing the compute hid.
// On a GPU engine (gpu, gpu-pageable, gds) each worker's shard lives in GPU memory, placed there
// before the clock starts: a save writes it device → pinned → storage, a restore lands in it, and
// `verify` copies what landed back (untimed) and checks every block's header and CRC.
// restore: one worker per shard file of the manifest; `restore_shift` k makes worker i
// read the shard of worker i+k (to read what another rank wrote, not its own cached pages);
// `verify` re-reads each shard after the timed reads and checks size, block headers and CRCs.
// Under mpirun (a shared target) MPI rank r of R handles shard files r, r+R, ... (one each when
// R is the layout's tp x pp x dp); restore_shift counts in shard files, so a shift of 1 reads the
// next rank's; rank 0 writes the manifest once every rank's shards are durable.
#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "workloads/checkpoint/checkpoint_content.hpp"
#include "workloads/checkpoint/checkpoint_layout.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct CheckpointParams {
  bool save = true;
  CheckpointSpec spec;
  std::string name = "checkpoint";  // "checkpoint_dir": the directory under the phase's dir
  std::uint32_t block = 1 << 20;
  unsigned restore_shift = 0;
  bool verify = false;
  std::uint64_t seed = 1;
  struct Rhythm {
    unsigned checkpoints = 1;
    std::uint64_t compute_ns = 0;  // simulated training between checkpoints
    bool async = false;            // snapshot to host memory, write in the background
  };
  std::optional<Rhythm> rhythm;
};

class CheckpointWorkload final : public Workload {
 public:
  explicit CheckpointWorkload(CheckpointParams params);

  [[nodiscard]] unsigned workers() const override;
  [[nodiscard]] Goal goal() const override;
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  void before_start(WorkerContext& ctx) override;
  void run(WorkerContext& ctx) override;
  void clients_done(const ClientRun& run) override;
  [[nodiscard]] nlohmann::json summarize() const override;
  [[nodiscard]] nlohmann::json summarize_ranks(
      const std::vector<nlohmann::json>& per_rank) const override;

  [[nodiscard]] static CheckpointParams parse(ConfigNode& phase);

 private:
  struct RankTimes {
    std::uint64_t write_ns = 0;
    std::uint64_t sync_ns = 0;
    std::uint64_t durable_ns = 0;
    bool ok = false;
    // rhythm
    std::uint64_t compute_ns = 0;
    std::uint64_t blocked_ns = 0;  // the accelerators waited: saves, or snapshots + waits
    std::uint64_t snapshot_ns = 0;
    std::uint64_t write_total_ns = 0;
    std::uint64_t wall_ns = 0;
  };
  [[nodiscard]] std::vector<std::filesystem::path> prepare_restore(const nlohmann::json& layout);
  [[nodiscard]] std::vector<std::filesystem::path> prepare_save(const PhaseEnv& env,
                                                                const nlohmann::json& layout);
  void save(WorkerContext& ctx);
  [[nodiscard]] nlohmann::json rhythm_json() const;
  bool write_shard(WorkerContext& ctx, Pump& pump, RankTimes& t);
  bool save_rhythm(WorkerContext& ctx, Pump& pump, RankTimes& t);
  void restore(WorkerContext& ctx);
  void share_files();
  // The shard file worker `worker` writes (save) or reads (restore: shifted by restore_shift).
  [[nodiscard]] const ShardFile& shard_of(std::size_t worker) const;
  // Worker `worker`'s shard in GPU memory; null on host engines.
  [[nodiscard]] std::byte* state(unsigned worker) const;

  CheckpointParams params_;
  std::vector<RankShard> shards_;  // every rank's share
  std::filesystem::path dir_;
  CheckpointManifest manifest_;  // save: what will be written; restore: what was
  unsigned rank_ = 0;            // under mpirun, this rank of ranks_
  unsigned ranks_ = 1;
  std::vector<std::size_t> mine_;  // the manifest's files this process handles, per worker
  std::vector<RankTimes> times_;   // per worker
  std::vector<Buffer> states_;     // per worker, on GPU engines: its shard in device memory
  std::atomic<unsigned> finished_{0};
  std::atomic<unsigned> succeeded_{0};
};

[[nodiscard]] WorkloadInfo checkpoint_workload_info();

}  // namespace aistor
