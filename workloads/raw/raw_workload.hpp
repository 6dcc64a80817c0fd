#pragma once
// The fio-like raw workload: sequential or random reads, writes or a mix, on one file per worker
// or one shared file, by size, op count or time, with ramp and fsync at end. Before the phase
// (untimed) files are laid out with incompressible data when the phase reads, or only allocated
// (posix_fallocate, as fio does) when it only writes; files that already have the size are
// reused (so a second write phase overwrites, as fio's would). With `verify`, every write is
// stamped and each block read back after the phase (workloads/raw_verify.hpp). Only files the
// workload created (workloads/file_claims.hpp) are written into, unless `overwrite`.
// Under mpirun (PhaseEnv::rank of ranks) every rank runs `threads` workers: on files of its own
// (named with its rank), or, with rank_files "shared", on one region each of a file every rank
// shares, regions in order of rank then thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/pump.hpp"
#include "workloads/raw/raw_verify.hpp"
#include "workloads/workload.hpp"

namespace aistor {

enum class RawMode : std::uint8_t { read, write, randread, randwrite, readwrite, randrw };

struct RawParams {
  RawMode mode = RawMode::read;
  unsigned read_percent = 100;
  std::vector<std::pair<std::uint32_t, unsigned>> block_sizes;  // (size, weight)
  std::uint64_t size = 0;                                       // per file
  std::uint64_t io_size = 0;  // per worker; 0: the worker's region
  std::uint64_t ops = 0;      // per worker; 0: no op limit (fio's number_ios)
  unsigned threads = 1;
  bool file_per_thread = true;
  std::string file_name = "";  // "" → derived from size
  std::uint64_t runtime_ns = 0;
  bool time_based = false;
  std::uint64_t ramp_ns = 0;
  bool fsync_at_end = false;
  std::uint64_t seed = 1;
  bool verify = false;     // stamp every write; read each block back after the phase
  bool overwrite = false;  // may write into an existing file aistor did not create
  std::string device;      // a block device to read (or, with --allow-device-writes, write)
  // Under mpirun: each rank its own files ("own", IOR's file per process), or every rank's
  // threads one region each of the same file ("shared"; a device is always shared).
  bool rank_files_shared = false;
};

class RawWorkload final : public Workload {
 public:
  explicit RawWorkload(RawParams params);

  [[nodiscard]] unsigned workers() const override { return params_.threads; }
  [[nodiscard]] Goal goal() const override;
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  // Makes the worker's request buffers, so their allocation is not timed.
  void before_start(WorkerContext& ctx) override;
  void run(WorkerContext& ctx) override;
  void check(const PhaseEnv& env) override;
  [[nodiscard]] nlohmann::json summarize() const override;
  [[nodiscard]] nlohmann::json summarize_ranks(
      const std::vector<nlohmann::json>& per_rank) const override;

  [[nodiscard]] static RawParams parse(ConfigNode& phase);

 private:
  [[nodiscard]] std::uint32_t max_block() const;
  [[nodiscard]] std::uint64_t region_bytes() const;
  // Where worker `w`'s region of its file starts; its number among every rank's workers.
  [[nodiscard]] std::uint64_t region_start(unsigned w) const;
  [[nodiscard]] std::uint64_t global_worker(unsigned w) const;
  void check_may_use(const std::filesystem::path& path, bool ours) const;
  std::vector<std::filesystem::path> prepare_device(const PhaseEnv& env);
  void prepare_verify();

  RawParams params_;
  unsigned rank_ = 0;  // this rank, of `ranks_` (1 without mpirun)
  unsigned ranks_ = 1;
  unsigned share_ranks_ = 1;  // how many ranks divide the file(s): ranks_ when shared, else 1
  std::vector<std::filesystem::path> files_;
  // verify: this run's seed (so blocks of an earlier run are told apart), each worker's writes
  std::uint64_t verify_seed_ = 0;
  std::vector<WrittenBlocks> written_;
  std::vector<std::optional<PumpBuffers>> pump_buffers_;  // per worker, from before_start()
  VerifyTally tally_;
};

[[nodiscard]] WorkloadInfo raw_workload_info();

}  // namespace aistor
