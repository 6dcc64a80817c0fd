#pragma once
// Token counts drawn per request: a request's context length, or the tokens it generates.
//
// Config (an integer is "fixed"):
//   {"distribution": "mlperf"}       MLPerf's KV-cache benchmark: each user is a chat (256-1024
//                                    tokens), code (1024-4096) or document (2048-8192) user, chosen
//                                    uniformly, with a context length uniform in that range; each
//                                    request's is uniform in [ceil(ctx/4), ctx]
//   {"distribution": "fixed", "tokens": 2048}
//   {"distribution": "uniform", "min": 128, "max": 256}
//   {"distribution": "lognormal", "median": 2048, "sigma": 0.8, "min": 16, "max": 32768}
//   {"distribution": "file", "path": "lengths.csv"}  one count per request, in order, repeated:
//                                    a JSON array of integers, or CSV whose first column holds
//                                    them (a first line that is not a number is a header)
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/splitmix.hpp"

namespace aistor {

class ConfigNode;

inline constexpr std::uint32_t kMaxKvTokens = 1u << 22;  // 4 Mi tokens: no context is longer

// The generator of a user's draws: splitmix64 from a plain seed, with integers drawn as
// lo + next() % (hi - lo + 1), so that another tool can make exactly the same draws (the MLPerf
// KV-cache peer, tests/peers/mlperf_kv_cache_peer.py, gives each user the same lengths).
class KvRng {
 public:
  using result_type = std::uint64_t;
  explicit KvRng(std::uint64_t seed = 0) noexcept : state_(seed) {}
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return UINT64_MAX; }
  result_type operator()() noexcept { return splitmix64(state_); }
  std::uint32_t uniform(std::uint32_t lo, std::uint32_t hi) noexcept {
    return lo + static_cast<std::uint32_t>((*this)() % (std::uint64_t{hi} - lo + 1));
  }

 private:
  std::uint64_t state_;
};

class KvLengths {
 public:
  enum class Kind : std::uint8_t { mlperf, fixed, uniform, lognormal, file };

  // Reads `key` of `phase` (absent: `def` fixed tokens). Counts lie in [min_tokens, kMaxKvTokens].
  // InputError with the JSON path, or with the file and line for a lengths file that does not
  // parse.
  [[nodiscard]] static KvLengths parse(ConfigNode& phase, std::string_view key, std::uint32_t def,
                                       std::uint32_t min_tokens);
  [[nodiscard]] static KvLengths fixed(std::uint32_t tokens);

  // What a user keeps for its life (mlperf: its own context length; 0 for other kinds).
  [[nodiscard]] std::uint32_t user_state(KvRng& rng) const;
  // One request's count. `user` is what user_state() returned.
  [[nodiscard]] std::uint32_t draw(KvRng& rng, std::uint32_t user) const;
  [[nodiscard]] std::uint32_t max_tokens() const noexcept;
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  Kind kind_ = Kind::fixed;
  std::uint32_t tokens_ = 0;
  std::uint32_t min_ = 0;
  std::uint32_t max_ = 0;
  double median_ = 0;
  double sigma_ = 0;
  std::filesystem::path path_;
  std::shared_ptr<const std::vector<std::uint32_t>> counts_;  // file
  // The next file count to hand out, shared by every copy (requests take them in order).
  std::shared_ptr<std::atomic<std::uint64_t>> next_;
};

// The counts of a lengths file (JSON array or CSV). InputError "<file>:<line>: ..." (JSON: the
// parser's line and column) for anything that is not a count in [min_tokens, kMaxKvTokens].
[[nodiscard]] std::vector<std::uint32_t> read_kv_lengths(const std::filesystem::path& path,
                                                         std::uint32_t min_tokens);

}  // namespace aistor
