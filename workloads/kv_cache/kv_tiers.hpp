#pragma once
// Where each KV entry lives: GPU memory, host memory or storage, each with a byte budget, filled
// fastest first and evicted least-recently-used down the waterfall.
//
// The rule is MLPerf's KV-cache benchmark's (and production servers' in spirit): a new entry goes
// to the fastest tier whose budget it fits (an entry larger than 95 % of a tier skips it); room is
// made by demoting that tier's least-recently-used entries to the next tier down (making room
// there the same way) until the new entry fits under 80 % of the budget (under the whole budget
// when it is larger than 80 %). A budget of 0 skips the tier; storage may be unlimited. Demoted
// entries enter the lower tier as its most recently used; an entry demoted from the last tier
// with a budget is dropped. Entries in use (being written, moved or read) are never demoted.
//
// Pure bookkeeping, not thread-safe: KvCache (kv_cache.hpp) locks it and moves the bytes.
#include <array>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace aistor {

enum class KvTier : std::uint8_t { gpu = 0, host = 1, storage = 2 };
inline constexpr std::size_t kKvTiers = 3;
[[nodiscard]] const char* to_string(KvTier tier) noexcept;

// One entry's move, in the order moves must be carried out: from `from` to `to`, or dropped
// (`to` empty). `serial` names the entry's bytes for its whole life (a storage file, a slot).
struct KvMove {
  std::uint64_t key = 0;
  std::uint64_t serial = 0;
  std::uint64_t bytes = 0;
  KvTier from = KvTier::gpu;
  std::optional<KvTier> to;
};

class KvTiers {
 public:
  static constexpr std::uint64_t kUnlimited = UINT64_MAX;

  explicit KvTiers(std::array<std::uint64_t, kKvTiers> budgets);

  struct Placement {
    std::optional<KvTier> tier;  // empty: the entry fits in no tier (not inserted)
    bool present = false;        // the key was already there: nothing was done
    std::uint64_t serial = 0;
    std::vector<KvMove> moves;  // to carry out first (even when `tier` is empty)
  };
  // A new entry for `key` (when `key` is present: nothing, `present` set). It and every entry its
  // moves move to a tier are busy until done(); dropped entries are gone at once.
  [[nodiscard]] Placement insert(std::uint64_t key, std::uint64_t bytes);
  // A settled entry: its tier and serial, now the tier's most recently used and busy until
  // done(). Empty when absent or busy being written or moved.
  struct Hit {
    KvTier tier;
    std::uint64_t serial;
    std::uint64_t bytes;
  };
  [[nodiscard]] std::optional<Hit> acquire(std::uint64_t key);
  // Ends one use (a write, a move or a read) of `key`.
  void done(std::uint64_t key);
  // Removes `key` (its write failed); its bytes leave the tier's use.
  void erase(std::uint64_t key);

  [[nodiscard]] bool contains(std::uint64_t key) const { return entries_.contains(key); }
  [[nodiscard]] std::uint64_t budget(KvTier t) const { return budgets_[index(t)]; }
  [[nodiscard]] std::uint64_t used(KvTier t) const { return used_[index(t)]; }
  // The most the tier ever held.
  [[nodiscard]] std::uint64_t peak(KvTier t) const { return peak_[index(t)]; }
  // The tier's keys, least recently used first.
  [[nodiscard]] std::vector<std::uint64_t> lru(KvTier t) const;

 private:
  struct Entry {
    std::uint64_t bytes = 0;
    std::uint64_t serial = 0;
    KvTier tier = KvTier::gpu;
    unsigned busy = 0;
    bool settled = false;  // written, or moved, at least once (not moving now)
    std::list<std::uint64_t>::iterator at;
  };
  static std::size_t index(KvTier t) { return static_cast<std::size_t>(t); }
  [[nodiscard]] bool accepts(std::size_t t, std::uint64_t bytes) const;
  bool make_room(std::size_t t, std::uint64_t bytes, std::vector<KvMove>& moves);
  void demote(std::uint64_t key, std::vector<KvMove>& moves);
  void place(std::uint64_t key, Entry& e, std::size_t t);

  std::array<std::uint64_t, kKvTiers> budgets_;
  std::array<std::uint64_t, kKvTiers> used_{};
  std::array<std::uint64_t, kKvTiers> peak_{};
  std::array<std::list<std::uint64_t>, kKvTiers> lru_;  // least recent at the front
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::uint64_t next_serial_ = 1;
};

}  // namespace aistor
