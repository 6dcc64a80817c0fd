#pragma once
// Vector search on SSD, as DiskANN (and Milvus's DiskANN index) runs it: the graph on storage, one
// sector-aligned record per node, PQ codes in memory; `concurrency` queries in flight, each a beam
// search of dependent hops (BeamSearch) whose reads go through the phase's engine — io_uring with
// a worker's beams as its queue, O_DIRECT, pread on threads, mmap. `threads` workers share the
// queries (one each by default, as DiskANN's search threads).
//
// prepare() builds the index untimed (or reuses a matching one: `aistor gen index` makes the same),
// opens it, caches `cache_nodes` records, draws the query pool and computes the exact neighbours of
// the first `recall_queries` queries, so recall@k says the search is a real one.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "workloads/formats/vector_data.hpp"
#include "workloads/vector_search/beam_search.hpp"
#include "workloads/vector_search/vs_tallies.hpp"
#include "workloads/workload.hpp"

namespace aistor {

inline constexpr unsigned kMaxSearchThreads = 1024;

struct VectorSearchParams {
  formats::IndexSpec index;
  std::string index_dir = "vector-index";  // under the phase's directory
  unsigned concurrency = 1;
  unsigned threads = 1;
  BeamParams beam;
  std::uint64_t cache_nodes = 0;
  std::uint64_t queries = 0;  // 0: until the duration
  std::uint64_t duration_ns = 0;
  std::uint32_t query_pool = 1000;
  std::uint32_t recall_queries = 100;

  // The queries worker `w` keeps in flight.
  [[nodiscard]] unsigned slots_of(unsigned w) const {
    return concurrency / threads + (w < concurrency % threads ? 1 : 0);
  }
};

class VectorSearchWorkload final : public Workload {
 public:
  explicit VectorSearchWorkload(VectorSearchParams params);
  ~VectorSearchWorkload() override;

  [[nodiscard]] unsigned workers() const override { return params_.threads; }
  [[nodiscard]] Goal goal() const override { return {0, params_.duration_ns}; }
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  void run(WorkerContext& ctx) override;
  [[nodiscard]] nlohmann::json summarize() const override;

  [[nodiscard]] static VectorSearchParams parse(ConfigNode& phase);

 private:
  void ground_truth(const std::atomic<bool>* stop);

  VectorSearchParams params_;
  std::filesystem::path dir_;
  std::unique_ptr<SearchIndex> index_;
  nlohmann::json built_;  // what preparing the index did
  std::vector<float> pool_;
  std::vector<std::vector<std::uint32_t>> truth_;
  std::atomic<std::uint64_t> issued_{0};
  mutable std::mutex mutex_;
  VsTallies tallies_;
  std::uint64_t wall_ns_ = 0;
  unsigned depth_ = 0;  // reads in flight a worker, at most
};

[[nodiscard]] WorkloadInfo vector_search_workload_info();

}  // namespace aistor
