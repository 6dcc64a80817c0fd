#pragma once
// The cache every worker of a phase shares: the tiers' bookkeeping (KvTiers), the storage
// layout's places (KvStore), and the bytes of host-tier entries (pinned on a GPU engine; GPU-tier
// entries are accounted, not held: they are where prefill left them). Thread-safe: one lock around
// the bookkeeping; bytes are moved by the worker that asked, outside the lock, while the entries
// involved are busy.
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engines/engine.hpp"
#include "workloads/kv_cache/kv_store.hpp"
#include "workloads/kv_cache/kv_tiers.hpp"

namespace aistor {

class KvCache {
 public:
  KvCache(std::array<std::uint64_t, kKvTiers> budgets, KvStore store);

  // KvTiers::insert, and a storage place for every entry it puts in storage (the new one, or a
  // moved one). Places of entries it drops from storage are released by release().
  [[nodiscard]] KvTiers::Placement insert(std::uint64_t key, std::uint64_t bytes);
  [[nodiscard]] std::optional<KvTiers::Hit> acquire(std::uint64_t key);
  void done(std::uint64_t key);
  // A write failed: the entry leaves the cache, and its memory or storage place with it.
  void erase(std::uint64_t key, std::uint64_t serial, KvTier tier);
  [[nodiscard]] bool contains(std::uint64_t key);

  // The storage place of an entry in storage.
  [[nodiscard]] KvPlace place(std::uint64_t serial);
  // The entry left storage (dropped, or its write failed).
  void release(std::uint64_t serial);
  // The memory of a host-tier entry (null when none is kept).
  [[nodiscard]] std::byte* memory(std::uint64_t serial);
  // Host-tier memory as a server holds it: a pool of slots of `slot_bytes` each, cut from regions
  // the workers allocate before the phase's clock (pinned on a GPU engine, as LMCache and vLLM
  // allocate theirs at start-up), taken by new host-tier entries and returned when they leave.
  void pool(Buffer region, std::uint64_t slot_bytes);
  // Memory for a new host-tier entry: a free slot of the pool, or (an entry larger than a slot,
  // or the pool used up) memory of its own from `engine`.
  [[nodiscard]] std::byte* keep(std::uint64_t serial, std::uint64_t bytes, Engine& engine);
  // Frees the memory of an entry that left a memory tier (a slot goes back to the pool).
  void forget(std::uint64_t serial);
  [[nodiscard]] std::uint64_t pooled_bytes();

  [[nodiscard]] std::uint64_t peak(KvTier t);
  [[nodiscard]] std::uint64_t budget(KvTier t) const { return budgets_[static_cast<int>(t)]; }
  [[nodiscard]] KvStore& store() noexcept { return store_; }
  // After the phase: memory freed, every entry file removed.
  void clear();

 private:
  std::array<std::uint64_t, kKvTiers> budgets_;
  std::mutex mutex_;
  KvTiers tiers_;
  KvStore store_;
  struct Memory {
    std::byte* data = nullptr;
    Buffer own;  // empty for a pool slot
  };
  std::unordered_map<std::uint64_t, Memory> memory_;  // serial -> bytes (host tier)
  std::vector<Buffer> regions_;                       // the pool's memory
  std::vector<std::byte*> free_slots_;
  std::uint64_t slot_bytes_ = 0;
};

}  // namespace aistor
