#pragma once
// A 64-bit checksum that host and GPU compute alike: the wrapping sum over the data's 8-byte
// little-endian words (the last one zero-padded) of mix64(word ^ (index * golden)). Addition makes
// it order-free, so a GPU grid can reduce it in any order; mixing with the index makes swapped or
// shifted words change it. Not cryptographic: it detects bytes that landed wrong, not an adversary.
// C++17 and callable from CUDA device code (cuda/checksum.cu includes it).
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define AISTOR_HOST_DEVICE __host__ __device__
#else
#define AISTOR_HOST_DEVICE
#endif

namespace aistor {

AISTOR_HOST_DEVICE inline std::uint64_t checksum64_term(std::uint64_t word,
                                                        std::uint64_t index) noexcept {
  std::uint64_t z = word ^ (index * 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The little-endian word at byte `at` of data[0, bytes), zero-padded past the end.
AISTOR_HOST_DEVICE inline std::uint64_t checksum64_tail_word(const unsigned char* data,
                                                             std::size_t at,
                                                             std::size_t bytes) noexcept {
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < 8 && at + i < bytes; ++i)
    w |= static_cast<std::uint64_t>(data[at + i]) << (8 * i);
  return w;
}

inline std::uint64_t checksum64(const void* data, std::size_t bytes) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t words = bytes / 8;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w;
    std::memcpy(&w, p + i * 8, 8);  // x86-64 is little-endian
    sum += checksum64_term(w, i);
  }
  if (bytes % 8 != 0) sum += checksum64_term(checksum64_tail_word(p, words * 8, bytes), words);
  return sum;
}

}  // namespace aistor
