#pragma once
// The splitmix64 finaliser: a cheap, well-mixed 64-bit hash. Every seeded stream in aistor
// (content bytes, offsets, sample sizes, permutations) derives its randomness from it.
#include <cstdint>

namespace aistor {

inline constexpr std::uint64_t kGolden64 = 0x9e3779b97f4a7c15ULL;

// The finaliser alone: mix64(x) for a counter or key x.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One step of the splitmix64 generator: advances `state` and returns the next value.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  state += kGolden64;
  return mix64(state);
}

}  // namespace aistor
