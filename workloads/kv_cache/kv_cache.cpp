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
  memory_.erase(serial);
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
  return it == memory_.end() ? nullptr : it->second.data();
}

void KvCache::keep(std::uint64_t serial, Buffer memory) {
  const std::scoped_lock lock(mutex_);
  memory_[serial] = std::move(memory);
}

void KvCache::forget(std::uint64_t serial) {
  Buffer gone;  // freed outside the lock
  {
    const std::scoped_lock lock(mutex_);
    auto it = memory_.find(serial);
    if (it == memory_.end()) return;
    gone = std::move(it->second);
    memory_.erase(it);
  }
}

std::uint64_t KvCache::peak(KvTier t) {
  const std::scoped_lock lock(mutex_);
  return tiers_.peak(t);
}

void KvCache::clear() {
  const std::scoped_lock lock(mutex_);
  memory_.clear();
  store_.remove_entries();
}

}  // namespace aistor
