#pragma once
// One kv-cache worker: serves its users' requests (KvCacheWorkload's steps) against the shared
// cache, moving bytes between the tiers with its own engine.
#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "engines/engine_file.hpp"
#include "engines/pump.hpp"
#include "workloads/kv_cache/kv_cache_workload.hpp"
#include "workloads/kv_cache/kv_segments.hpp"

namespace aistor {

class KvWorker {
 public:
  KvWorker(const KvCacheParams& params, KvCache& cache, std::atomic<std::uint64_t>& started,
           WorkerContext& ctx, unsigned rank);

  // Serves requests until the duration, the request budget, the stop flag or an I/O error.
  void run();
  [[nodiscard]] KvTallies& tallies() noexcept { return t_; }

 private:
  struct User {
    unsigned index = 0;
    KvRng rng;
    std::uint32_t state = 0;  // the context distribution's per-user state
    std::uint64_t conversation = 0;
    unsigned turn = 0;
    std::uint32_t history = 0;              // conversation tokens cached by earlier turns
    std::optional<std::uint64_t> previous;  // request mode: the previous turn's entry
    std::uint64_t arrival_ns = 0;           // with a rate: the next request's arrival
  };
  // Per request: time spent per tier reading and writing, summed over its steps.
  struct StepTimes {
    std::uint64_t read[kKvTiers] = {};
    std::uint64_t write[kKvTiers] = {};
  };
  struct Want {
    std::uint64_t key;
    std::uint64_t bytes;
  };

  [[nodiscard]] User* next_user();
  [[nodiscard]] bool request(User& u);
  [[nodiscard]] bool request_entries(User& u, std::uint32_t context, std::uint32_t generate,
                                     StepTimes& st, std::uint64_t& prefix_ns);
  [[nodiscard]] bool request_blocks(User& u, std::uint32_t context, std::uint32_t generate,
                                    StepTimes& st, std::uint64_t& prefix_ns);
  // Reads what of `wants` is cached into the top tier; the rest is returned (missed). A prefix
  // load counts as lookups (hits, misses, cached tokens); a decode re-read only moves bytes.
  [[nodiscard]] bool load(const std::vector<Want>& wants, StepTimes& st, std::vector<Want>* missed,
                          bool prefix = true);
  // Writes new entries into the tiers (keys already present are left alone).
  [[nodiscard]] bool store(const std::vector<Want>& wants, StepTimes& st);
  [[nodiscard]] bool carry_out(const std::vector<KvMove>& moves, StepTimes& st);
  // The segments' requests through the pump; false at the deadline, the stop flag or an error.
  [[nodiscard]] bool pump_segments(Op op, const std::vector<KvSegment>& segs);
  [[nodiscard]] bool storage_write(std::vector<KvSegment>& segs, std::uint64_t& ns);
  [[nodiscard]] bool storage_read(std::vector<KvSegment>& segs, std::uint64_t& ns);
  void host_copy_in(std::byte* host, std::uint64_t serial, std::uint64_t bytes);
  void add_pieces(const std::byte* host, std::uint64_t bytes,
                  std::vector<std::span<const std::byte>>& pieces) const;
  void open_segments(std::vector<KvSegment>& segs, Access access, std::vector<EngineFile>& files);
  void sync_written(const std::vector<KvSegment>& segs, std::vector<EngineFile>& files);
  void decode(std::uint64_t tokens);
  [[nodiscard]] bool past_deadline() const;

  const KvCacheParams& p_;
  KvCache& cache_;
  std::atomic<std::uint64_t>& started_;
  WorkerContext& ctx_;
  std::uint64_t bpt_;
  std::uint64_t deadline_ns_ = 0;
  std::uint32_t alignment_ = 1;
  std::mt19937_64 rng_;
  std::vector<User> users_;
  std::size_t turn_robin_ = 0;
  Pump pump_;
  std::vector<std::byte> reference_;  // the pump's seeded bytes
  // The top tier's landing buffer: host-tier hits are copied into it, GPU-tier entries moved
  // out are copied from it. An entry's size (a block, up to 64 MiB) on a GPU engine.
  Buffer landing_;
  std::vector<FileId> slabs_;  // slab layout: every slab, open read-write
  std::vector<EngineFile> slab_files_;
  std::vector<EngineFile> unsynced_;  // batch sync: files written since the last sync
  unsigned unsynced_entries_ = 0;
  bool failed_ = false;
  KvChunkCheck check_;
  KvTallies t_;
};

}  // namespace aistor
