#include "workloads/kv_cache/kv_cache.hpp"

namespace aistor {

KvCache::KvCache(std::array<std::uint64_t, kKvTiers> budgets, KvStore store)
    : budgets_(budgets), tiers_(budgets), store_(std::move(store)) {}

KvTiers::Placement KvCache::insert(std::uint64_t key, std::uint64_t bytes) {
  const std::scoped_lock lock(mutex_);
  KvTiers::Placement p = tiers_.insert(key, bytes);
  for (const auto& m : p.moves) {
    if (m.to == KvTier::storage) (void)store_.assign(m.serial);
  }
  if (p.tier == KvTier::storage) (void)store_.assign(p.serial);
  return p;
}

std::optional<KvTiers::Hit> KvCache::acquire(std::uint64_t key) {
  const std::scoped_lock lock(mutex_);
  return tiers_.acquire(key);
}

void KvCache::done(std::uint64_t key) {
  const std::scoped_lock lock(mutex_);
  tiers_.done(key);
}

void KvCache::erase(std::uint64_t key, std::uint64_t serial, KvTier tier) {
  const std::scoped_lock lock(mutex_);
  tiers_.erase(key);
  if (tier == KvTier::storage) store_.release(serial);
  if (auto it = memory_.find(serial); it != memory_.end()) {
    if (!it->second.own.data()) free_slots_.push_back(it->second.data);
    memory_.erase(it);
  }
}

bool KvCache::contains(std::uint64_t key) {
  const std::scoped_lock lock(mutex_);
  return tiers_.contains(key);
}

KvPlace KvCache::place(std::uint64_t serial) {
  const std::scoped_lock lock(mutex_);
  return store_.find(serial);
}

void KvCache::release(std::uint64_t serial) {
  const std::scoped_lock lock(mutex_);
  store_.release(serial);
}

std::byte* KvCache::memory(std::uint64_t serial) {
  const std::scoped_lock lock(mutex_);
  auto it = memory_.find(serial);
  return it == memory_.end() ? nullptr : it->second.data;
}

void KvCache::pool(Buffer region, std::uint64_t slot_bytes) {
  const std::scoped_lock lock(mutex_);
  slot_bytes_ = slot_bytes;
  for (std::uint64_t at = 0; at + slot_bytes <= region.size(); at += slot_bytes)
    free_slots_.push_back(region.data() + at);
  regions_.push_back(std::move(region));
}

std::byte* KvCache::keep(std::uint64_t serial, std::uint64_t bytes, Engine& engine) {
  {
    const std::scoped_lock lock(mutex_);
    if (bytes <= slot_bytes_ && !free_slots_.empty()) {
      std::byte* slot = free_slots_.back();
      free_slots_.pop_back();
      memory_[serial] = Memory{slot, {}};
      return slot;
    }
  }
  Buffer own = engine.allocate_host(bytes);  // outside the lock: pinning takes a while
  std::byte* data = own.data();
  const std::scoped_lock lock(mutex_);
  memory_[serial] = Memory{data, std::move(own)};
  return data;
}

void KvCache::forget(std::uint64_t serial) {
  Memory gone;  // memory of its own is freed outside the lock
  const std::scoped_lock lock(mutex_);
  auto it = memory_.find(serial);
  if (it == memory_.end()) return;
  gone = std::move(it->second);
  memory_.erase(it);
  if (!gone.own.data()) free_slots_.push_back(gone.data);
}

std::uint64_t KvCache::pooled_bytes() {
  const std::scoped_lock lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& r : regions_)
    n += r.size() / slot_bytes_ * slot_bytes_;
  return n;
}

std::uint64_t KvCache::peak(KvTier t) {
  const std::scoped_lock lock(mutex_);
  return tiers_.peak(t);
}

void KvCache::clear() {
  const std::scoped_lock lock(mutex_);
  memory_.clear();
  free_slots_.clear();
  regions_.clear();
  store_.remove_entries();
}

}  // namespace aistor
