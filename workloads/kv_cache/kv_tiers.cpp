#include "workloads/kv_cache/kv_tiers.hpp"

#include <algorithm>
#include <stdexcept>

namespace aistor {

const char* to_string(KvTier tier) noexcept {
  switch (tier) {
    case KvTier::gpu:
      return "gpu";
    case KvTier::host:
      return "host";
    case KvTier::storage:
      break;
  }
  return "storage";
}

KvTiers::KvTiers(std::array<std::uint64_t, kKvTiers> budgets) : budgets_(budgets) {}

bool KvTiers::accepts(std::size_t t, std::uint64_t bytes) const {
  const std::uint64_t b = budgets_[t];
  if (b == 0) return false;
  if (b == kUnlimited) return true;
  return static_cast<double>(bytes) <= 0.95 * static_cast<double>(b);
}

// Demotes the tier's least recently used idle entries until `bytes` more fit under 80 % of its
// budget (the whole budget for an entry larger than that); false when idle entries run out.
bool KvTiers::make_room(std::size_t t, std::uint64_t bytes, std::vector<KvMove>& moves) {
  const std::uint64_t b = budgets_[t];
  if (b == kUnlimited) return true;
  auto target = static_cast<std::uint64_t>(0.8 * static_cast<double>(b));
  if (bytes > target) target = b;
  auto it = lru_[t].begin();
  while (used_[t] + bytes > target) {
    while (it != lru_[t].end() && entries_.at(*it).busy > 0)
      ++it;
    if (it == lru_[t].end()) return false;
    const std::uint64_t victim = *it++;
    demote(victim, moves);
  }
  return true;
}

void KvTiers::place(std::uint64_t key, Entry& e, std::size_t t) {
  e.tier = static_cast<KvTier>(t);
  used_[t] += e.bytes;
  peak_[t] = std::max(peak_[t], used_[t]);
  e.at = lru_[t].insert(lru_[t].end(), key);
}

void KvTiers::demote(std::uint64_t key, std::vector<KvMove>& moves) {
  Entry& e = entries_.at(key);
  const std::size_t from = index(e.tier);
  used_[from] -= e.bytes;
  lru_[from].erase(e.at);
  for (std::size_t t = from + 1; t < kKvTiers; ++t) {
    if (!accepts(t, e.bytes)) continue;
    std::vector<KvMove> deeper;
    if (!make_room(t, e.bytes, deeper)) {
      moves.insert(moves.end(), deeper.begin(), deeper.end());
      continue;
    }
    moves.insert(moves.end(), deeper.begin(), deeper.end());
    moves.push_back({key, e.serial, e.bytes, static_cast<KvTier>(from), static_cast<KvTier>(t)});
    place(key, e, t);
    e.busy += 1;
    e.settled = false;
    return;
  }
  moves.push_back({key, e.serial, e.bytes, static_cast<KvTier>(from), std::nullopt});
  entries_.erase(key);
}

KvTiers::Placement KvTiers::insert(std::uint64_t key, std::uint64_t bytes) {
  Placement p;
  if (entries_.contains(key)) {
    p.present = true;
    return p;
  }
  for (std::size_t t = 0; t < kKvTiers; ++t) {
    if (!accepts(t, bytes) || !make_room(t, bytes, p.moves)) continue;
    Entry e;
    e.bytes = bytes;
    e.serial = next_serial_++;
    e.busy = 1;
    auto [at, inserted] = entries_.emplace(key, e);
    place(key, at->second, t);
    p.tier = static_cast<KvTier>(t);
    p.serial = e.serial;
    break;
  }
  return p;
}

std::optional<KvTiers::Hit> KvTiers::acquire(std::uint64_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.settled) return std::nullopt;
  Entry& e = it->second;
  auto& list = lru_[index(e.tier)];
  list.splice(list.end(), list, e.at);
  e.busy += 1;
  return Hit{e.tier, e.serial, e.bytes};
}

void KvTiers::done(std::uint64_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.busy == 0)
    throw std::logic_error("KvTiers::done: the entry is not in use");
  it->second.busy -= 1;
  it->second.settled = true;
}

void KvTiers::erase(std::uint64_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  const std::size_t t = index(it->second.tier);
  used_[t] -= it->second.bytes;
  lru_[t].erase(it->second.at);
  entries_.erase(it);
}

std::vector<std::uint64_t> KvTiers::lru(KvTier t) const {
  const auto& l = lru_[index(t)];
  return {l.begin(), l.end()};
}

}  // namespace aistor
