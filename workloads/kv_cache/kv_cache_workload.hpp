#pragma once
// KV-cache offload: the storage side of LLM serving with a prefix cache spilled from GPU memory to
// host memory and to storage (LMCache, vLLM's disk backend, Dynamo's KVBM; MLPerf Storage v3.0's
// KV-cache benchmark).
//
// `users` sessions issue requests, closed loop or at an arrival `rate`; `threads` workers serve
// them (one per user by default, as MLPerf's benchmark). A request's sequence is a shared system
// prompt plus its conversation's context (drawn per request: `context`), made of the conversation's
// earlier turns (cached) and new tokens. Its KV is stored in entries of `block_tokens` tokens (full
// blocks only, as vLLM's prefix cache hashes them), or one entry per request ("block_tokens":
// "request", as MLPerf's benchmark: the request's whole context, plus the system prompt's and the
// previous turn's entries, which it reads back). A request:
//   1. loads its cached prefix into the top tier: GPU-tier hits cost nothing, host-tier hits a
//   copy,
//      storage hits a read through the phase's engine (with `cold_reads` "fadvise": DONTNEED first,
//      as MLPerf's benchmark; O_DIRECT is the engine's `direct`);
//   2. writes what prefill made (new blocks, and prefix blocks that were missed) into the tiers by
//      KvTiers's waterfall, carrying out the demotions that made room;
//   3. decodes `generate_tokens` tokens with simulated compute per token (`decode`), re-reading its
//      entries every `decode_reads_every` tokens (MLPerf: 32; 0: never), and in block mode writes
//      the blocks the generated tokens filled.
// Storage writes are made durable per `sync` ("each": fsync every entry before it counts,
// "batch": every `sync_batch` entries, "none").
// Only storage I/O goes through the pump and the phase's recorder (the phase's throughput is
// storage throughput); the workload's figures add the tiers, hits, evictions and per-request times.
// Under mpirun each rank serves its own users with its own cache in "<kv_dir>/rank-<r>".
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "workloads/common/compute_time.hpp"
#include "workloads/kv_cache/kv_cache.hpp"
#include "workloads/kv_cache/kv_lengths.hpp"
#include "workloads/kv_cache/kv_model.hpp"
#include "workloads/kv_cache/kv_tallies.hpp"
#include "workloads/workload.hpp"

namespace aistor {

enum class KvSync : std::uint8_t { each, batch, none };

// The most worker threads a phase runs (users beyond it share them).
inline constexpr unsigned kMaxKvThreads = 1024;

struct KvCacheParams {
  KvModel model;
  std::uint32_t block_tokens = 0;  // 0: one entry per request
  unsigned users = 1;
  unsigned threads = 0;  // set by parse: one per user, at most kMaxKvThreads
  double rate = 0;       // requests per second over all users; 0: closed loop
  std::uint64_t duration_ns = 0;
  std::uint64_t requests = 0;  // 0: until the duration
  KvLengths context = KvLengths::fixed(1024);
  KvLengths generate = KvLengths::fixed(0);
  std::uint32_t system_prompt_tokens = 0;
  unsigned turns = 4;
  ComputeTime decode;  // per generated token
  std::uint32_t decode_reads_every = 0;
  std::array<std::uint64_t, kKvTiers> budgets{0, 0, KvTiers::kUnlimited};
  KvLayout layout = KvLayout::file_per_entry;
  unsigned slabs = 0;  // 0: one per worker
  KvSync sync = KvSync::each;
  unsigned sync_batch = 8;
  bool cold_reads = true;  // posix_fadvise DONTNEED before each storage read
  std::uint32_t request_size = 4u << 20;
  bool verify = false;
  std::uint64_t seed = 1;
  std::string name = "kv-cache";  // "kv_dir": under the phase's directory

  [[nodiscard]] unsigned workers() const {
    return threads != 0 ? threads : std::min(users, kMaxKvThreads);
  }
  // The bytes of one block entry (block mode).
  [[nodiscard]] std::uint64_t block_bytes() const {
    return std::uint64_t{block_tokens} * model.bytes_per_token();
  }
};

class KvCacheWorkload final : public Workload {
 public:
  explicit KvCacheWorkload(KvCacheParams params);
  ~KvCacheWorkload() override;

  [[nodiscard]] unsigned workers() const override { return params_.workers(); }
  [[nodiscard]] Goal goal() const override { return {0, params_.duration_ns}; }
  [[nodiscard]] std::vector<std::filesystem::path> prepare(const PhaseEnv& env) override;
  // The host tier's pool: each worker allocates its share before the clock starts.
  void before_start(WorkerContext& ctx) override;
  void run(WorkerContext& ctx) override;
  // Fails the phase when `verify` found a chunk that was not what was written.
  void check(const PhaseEnv& env) override;
  [[nodiscard]] nlohmann::json summarize() const override;
  [[nodiscard]] nlohmann::json summarize_ranks(
      const std::vector<nlohmann::json>& per_rank) const override;

  [[nodiscard]] static KvCacheParams parse(ConfigNode& phase);

 private:
  KvCacheParams params_;
  std::filesystem::path dir_;
  unsigned rank_ = 0;
  std::unique_ptr<KvCache> cache_;
  std::atomic<std::uint64_t> started_{0};  // requests begun, over every worker
  std::atomic<unsigned> finished_{0};
  std::atomic<std::uint64_t> pooled_bytes_{0};  // the host tier's pool, made before the clock
  mutable std::mutex mutex_;
  KvTallies tallies_;  // merged as workers end
  std::uint64_t wall_ns_ = 0;
  std::uint64_t peak_used_[kKvTiers] = {};
};

[[nodiscard]] WorkloadInfo kv_cache_workload_info();

}  // namespace aistor
