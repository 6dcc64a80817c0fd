#pragma once
// The pack workload: a dataset (a raw file tree, Arrow files, TFRecord files) packed into TFRecord
// or FFRecord files, in order (no shuffle), as training pipelines prepare their input.
//
// Reads go through the phase's engine in `read_block` requests, one sequential pass per source
// file; writes through `write_engine` (default: the same kind) in `write_block` requests, up to
// `write_behind` batches of them written by a thread of their own while reading goes on. The
// target files are spread over `threads` workers, each packing whole target files from
// contiguous runs of source units. `read_only` reads and parses the source without writing (the
// seed table's "read only" column). After the timed pass (untimed) every target file is read back
// by aistor's TFRecord/FFRecord readers, every CRC checked and every sample compared with its
// source. Under mpirun the targets are spread over every rank's workers (target t to worker
// t mod (ranks x threads), numbered rank by rank); each rank checks its own, and the manifest is
// marked complete once every rank's are (every_rank_checked).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engines/engine_config.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/pack/pack_sink.hpp"
#include "workloads/pack/pack_source.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct PackParams {
  std::optional<formats::DatasetSpec> dataset;  // generated source
  std::filesystem::path path;                   // or an existing one
  std::optional<PackFormat> source_format;
  std::string column;
  bool read_only = false;
  PackTarget target = PackTarget::tfrecord;
  // 0: as many as the source has record files, or one per GiB of a raw tree (at least one per
  // worker, at most one per unit)
  std::uint32_t target_files = 0;
  std::string target_dir;  // inside the phase's directory
  unsigned threads = 1;
  std::uint32_t read_block = 128 * 1024;
  std::uint32_t write_block = 1024 * 1024;
  unsigned write_behind = 2;  // batches in flight behind the reads (pack_sink.hpp); 0: in line
  std::uint64_t unit_bytes = 4 << 20;
  bool verify = true;
  EngineConfig write_engine;
};

class PackWorkload final : public Workload {
 public:
  explicit PackWorkload(PackParams params);

  [[nodiscard]] unsigned workers() const override { return params_.threads; }
  [[nodiscard]] Goal goal() const override;
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  void run(WorkerContext& ctx) override;
  void check(const PhaseEnv& env) override;
  void every_rank_checked(const PhaseEnv& env) override;
  [[nodiscard]] nlohmann::json summarize() const override;
  [[nodiscard]] nlohmann::json summarize_ranks(
      const std::vector<nlohmann::json>& per_rank) const override;

  [[nodiscard]] static PackParams parse(ConfigNode& phase);

 private:
  struct Target {
    std::filesystem::path path;
    std::size_t first_unit = 0, end_unit = 0;
    std::uint64_t samples = 0, payload_bytes = 0;
  };
  void prepare_targets(const PhaseEnv& env);
  void pack(WorkerContext& ctx, const Target& t, class RangeReader& reader, PackSink* sink);
  void verify_target(const Target& t) const;
  // Whether this process packs target `t` (under mpirun: one of this rank's workers does).
  [[nodiscard]] bool ours(std::size_t t) const;

  PackParams params_;
  unsigned rank_ = 0;  // under mpirun, this rank of ranks_
  unsigned ranks_ = 1;
  std::optional<PackSource> source_;
  nlohmann::json source_info_;
  std::filesystem::path out_dir_;
  std::vector<Target> targets_;
  std::vector<std::unique_ptr<Engine>> write_engines_;  // one per worker, made untimed
  std::vector<std::uint64_t> end_ns_;                   // per worker: when it finished
  std::uint64_t start_ns_ = 0;
  nlohmann::json verified_;
};

[[nodiscard]] WorkloadInfo pack_workload_info();

}  // namespace aistor
