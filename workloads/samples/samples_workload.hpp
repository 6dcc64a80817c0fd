#pragma once
// The training input pipeline: epochs of shuffled sample reads from a packed dataset, batched,
// prefetched by reader threads and consumed by simulated accelerators.
//
// Workers: `read_threads` readers (worker index < read_threads) claim batches from a
// BatchPipeline and keep up to queue_depth sample reads in flight on their engine; the other
// `accelerators` workers take batches in order and "compute" for a drawn time (ComputeTime).
// The dataset is an aistor dataset generated (or reused) untimed in prepare(), or a user's own
// dataset given by "path" (an aistor dataset directory, a TFRecord file with or without .idx, an
// FFRecord file), never written to.
//
// With a direct engine (odirect, pread/io_uring with direct) each sample is read through aligned
// requests around it; exactly the sample's bytes are delivered. A GZIP or ZLIB TFRecord dataset
// has no random access: readers then stream whole files (in the epoch's file order, shuffle
// "files" or "none") in 1 MiB reads, inflate them, and form batches from records as they arrive,
// as tf.data's interleaved TFRecordDataset does; the CPU time spent inflating is reported apart.
// Per-sample read latency goes to the recorder (storage bytes read); delivered bytes, samples,
// batch waits, accelerator utilisation and one row per epoch go to summarize().
// Under mpirun every rank runs its own readers and accelerators over its share of each epoch's
// order (EpochOrder::share, as DistributedSampler shards); ranks do not step in lockstep (no
// gradient all-reduce is modelled).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "workloads/common/compute_time.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/formats/dataset_index.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/samples/batch_pipeline.hpp"
#include "workloads/samples/epoch_order.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct SamplesParams {
  std::optional<formats::DatasetSpec> dataset;  // generate (or reuse) this dataset
  std::filesystem::path path;                   // or read this existing one
  unsigned epochs = 1;
  std::uint32_t batch_size = 32;
  bool drop_last = false;
  ShuffleMode shuffle = ShuffleMode::global;
  std::uint64_t seed = 1;
  unsigned read_threads = 1;
  unsigned accelerators = 1;
  unsigned prefetch = 0;  // 0: 2 x read_threads
  ComputeTime compute;
  bool verify = false;
  std::optional<bool> epoch_residency;  // unset: on, except for raw trees (one file per sample)
};

class SamplesWorkload final : public Workload {
 public:
  explicit SamplesWorkload(SamplesParams params);
  ~SamplesWorkload() override;

  [[nodiscard]] unsigned workers() const override {
    return params_.read_threads + params_.accelerators;
  }
  [[nodiscard]] Goal goal() const override;
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  void before_start(WorkerContext& ctx) override;
  void run(WorkerContext& ctx) override;
  [[nodiscard]] nlohmann::json summarize() const override;
  [[nodiscard]] nlohmann::json summarize_ranks(
      const std::vector<nlohmann::json>& per_rank) const override;

  [[nodiscard]] static SamplesParams parse(ConfigNode& phase);

  struct ReaderTally;
  struct AcceleratorTally;
  struct EpochRow;
  // One epoch's sums over the readers and accelerators.
  struct EpochTotals {
    std::uint64_t samples = 0;
    std::uint64_t bytes = 0;
    std::uint64_t steps = 0;
    std::uint64_t wait_ns = 0;
    std::uint64_t compute_ns = 0;
    std::uint64_t ns = 0;
  };

 private:
  // Finds the dataset (path) or generates it (dataset spec) under the phase's directory.
  void locate_dataset(const PhaseEnv& env);
  // From the index: files_, max_length_, payload_bytes_, and the first sample of each file
  // (then the sample count) for the epoch order; a raw tree's one file is its directory.
  std::vector<std::uint64_t> index_files(bool raw);
  bool prepare_stream();
  void make_pipeline(std::uint64_t samples);
  void open_files(WorkerContext& ctx);
  void read(WorkerContext& ctx);
  void stream(WorkerContext& ctx);
  // Streams file `f` of `epoch`; false when the phase must stop (stop flag, abort, a failure).
  bool stream_file(WorkerContext& ctx, unsigned epoch, std::uint32_t f, Pump& pump,
                   std::uint32_t alignment);
  void deliver(WorkerContext& ctx, unsigned epoch, std::uint64_t sample,
               std::span<const std::byte> payload, bool& stop_streaming);
  void record_failure(const std::string& what);
  void accelerate(WorkerContext& ctx);
  void epoch_begins(unsigned epoch);
  void epoch_ends(unsigned epoch);
  [[nodiscard]] EpochTotals epoch_totals(unsigned epoch) const;
  [[nodiscard]] nlohmann::json epoch_json(unsigned epoch, const EpochTotals& totals) const;

  SamplesParams params_;
  std::filesystem::path dataset_dir_;
  nlohmann::json dataset_info_;
  std::optional<formats::DatasetIndex> index_;
  std::optional<EpochOrder> order_;
  std::unique_ptr<BatchPipeline> pipeline_;
  std::vector<std::filesystem::path> files_;
  std::uint32_t max_length_ = 0;
  // Stream mode (compressed TFRecord): files in dataset order and the first sample of each.
  bool stream_ = false;
  formats::TfCompression compression_ = formats::TfCompression::none;
  std::vector<std::uint64_t> file_first_;
  std::optional<std::uint64_t> verify_seed_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> next_file_;  // per epoch
  std::unique_ptr<std::atomic<std::uint64_t>[]> delivered_;  // per epoch
  bool epoch_residency_ = true;
  std::uint64_t payload_bytes_ = 0;
  std::vector<std::unique_ptr<ReaderTally>> readers_;
  std::vector<std::unique_ptr<AcceleratorTally>> accelerators_;
  std::vector<EpochRow> epochs_;
  std::mutex failure_mu_;
  std::string failure_;  // the first verification failure
};

[[nodiscard]] WorkloadInfo samples_workload_info();

}  // namespace aistor
