#pragma once
// A seeded bijection on [0, n) in O(1) memory: a 4-round Feistel network over the smallest even
// number of bits covering n, with cycle walking. Visiting at(0), at(1), ... at(n-1) touches every
// value exactly once in a shuffled order; another seed gives another order.
#include <cstdint>

#include "core/splitmix.hpp"

namespace aistor {

class Permutation {
 public:
  Permutation(std::uint64_t n, std::uint64_t seed) noexcept : n_(n), seed_(seed) {
    unsigned bits = 2;
    while (bits < 64 && (1ULL << bits) < n)
      bits += 2;
    half_ = bits / 2;
    mask_ = (1ULL << half_) - 1;
  }
  [[nodiscard]] std::uint64_t size() const noexcept { return n_; }
  // i < size().
  [[nodiscard]] std::uint64_t at(std::uint64_t i) const noexcept {
    std::uint64_t x = i;
    do {
      x = encrypt(x);
    } while (x >= n_);
    return x;
  }

 private:
  [[nodiscard]] std::uint64_t round(std::uint64_t v, unsigned r) const noexcept {
    return mix64(v + seed_ + kGolden64 * (r + 1)) & mask_;
  }
  [[nodiscard]] std::uint64_t encrypt(std::uint64_t x) const noexcept {
    std::uint64_t l = x >> half_;
    std::uint64_t r = x & mask_;
    for (unsigned k = 0; k < 4; ++k) {
      std::uint64_t t = l ^ round(r, k);
      l = r;
      r = t;
    }
    return (l << half_) | r;
  }

  std::uint64_t n_;
  std::uint64_t seed_;
  unsigned half_ = 1;
  std::uint64_t mask_ = 1;
};

}  // namespace aistor
