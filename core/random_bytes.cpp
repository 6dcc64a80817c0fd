#include "core/random_bytes.hpp"

#include <cstring>

#include "core/splitmix.hpp"

namespace aistor {
namespace {

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

void fill_random(std::byte* data, std::size_t bytes, std::uint64_t seed) noexcept {
  // splitmix64 seeds xoshiro256**.
  std::uint64_t s[4];
  for (auto& v : s)
    v = splitmix64(seed);
  auto next = [&s]() noexcept {
    std::uint64_t out = rotl(s[1] * 5, 7) * 9;
    std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
  };
  // Whole words with a fixed-size copy (one store each), then the tail once.
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    std::uint64_t v = next();
    std::memcpy(data + i, &v, 8);
  }
  if (i < bytes) {
    std::uint64_t v = next();
    std::memcpy(data + i, &v, bytes - i);
  }
}

}  // namespace aistor
