#pragma once
// The model-load workload: loading weights, as an inference server does at startup. Reads whole
// model files (safetensors or GGUF, one file or a directory of shards; a user's, or generated
// untimed from a preset) through any engine, into host memory or, through the gpu engines, into
// GPU memory: tensor by tensor (the header, then each tensor's bytes in `chunk_size` requests,
// padding skipped) or by byte range (the whole file in chunks). `threads` split the requests into
// contiguous shares. Reports the load time (from before the first open, so an mmap engine's
// mapping and populate count, to the last completion) and its rate over the requested bytes, and
// the time to the first complete tensor; the runner adds throughput, per-chunk latency, the I/O
// pattern and storage bytes against bytes delivered.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engines/pump.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/workload.hpp"

namespace aistor {

struct ModelLoadParams {
  std::filesystem::path path;  // a model file or a directory of them; empty: generate `model`
  std::string preset;          // generated: preset name (or "" with size)
  double scale = 1.0;
  std::uint64_t size = 0;
  std::uint64_t parameters = 0;  // generated: about this many elements (instead of size)
  formats::ModelFormat format = formats::ModelFormat::safetensors;
  std::string dtype;
  std::uint32_t chunk_size = 2 << 20;
  bool by_tensor = true;  // order "tensors"; false: "range"
  unsigned threads = 1;
  std::uint64_t seed = 1;  // generated: the content's seed
  std::string version;     // generated: appended to the file's name ("-v2": a new version)
};

// When a load happened (steady clock, ns; 0: not yet): the first worker's start (before opening
// the files), the first completed request, the first complete tensor, the last worker's end.
struct LoadTiming {
  std::uint64_t start_ns = 0;
  std::uint64_t first_byte_ns = 0;
  std::uint64_t first_tensor_ns = 0;
  std::uint64_t end_ns = 0;
};

class ModelLoadWorkload final : public Workload {
 public:
  explicit ModelLoadWorkload(ModelLoadParams params) : params_(std::move(params)) {}

  [[nodiscard]] unsigned workers() const override { return params_.threads; }
  [[nodiscard]] Goal goal() const override;
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  // Makes the worker's chunk buffers, so their allocation is not timed.
  void before_start(WorkerContext& ctx) override;
  void run(WorkerContext& ctx) override;
  [[nodiscard]] nlohmann::json summarize() const override;

  // What is loaded (after prepare()): files, format, tensors, parameters, bytes, chunking.
  [[nodiscard]] nlohmann::json describe_model() const;
  [[nodiscard]] LoadTiming timing() const;

  [[nodiscard]] static ModelLoadParams parse(ConfigNode& phase);

  struct Chunk {
    std::uint32_t file = 0;
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
    bool first_tensor = false;  // part of the load order's first tensor
  };

 private:
  ModelLoadParams params_;
  std::vector<formats::ModelFile> files_;
  std::vector<Chunk> chunks_;
  std::vector<std::optional<PumpBuffers>> pump_buffers_;  // per worker, from before_start()
  std::uint64_t chunk_bytes_ = 0;
  std::uint64_t first_tensor_bytes_ = 0;
  std::atomic<std::uint64_t> first_tensor_done_{0};
  std::atomic<std::uint64_t> first_tensor_ns_{0};
  std::atomic<std::uint64_t> first_byte_ns_{0};
  std::atomic<std::uint64_t> start_ns_{0};  // earliest worker start
  std::atomic<std::uint64_t> end_ns_{0};    // latest worker end

  void note_start(std::uint64_t t);
  void make_buffers(WorkerContext& ctx, std::uint32_t alignment);
};

[[nodiscard]] WorkloadInfo model_load_workload_info();

}  // namespace aistor
