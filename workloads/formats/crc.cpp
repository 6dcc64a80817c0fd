#include "workloads/formats/crc.hpp"

#include <zlib.h>

#include <array>
#include <climits>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <smmintrin.h>
#include <wmmintrin.h>
#endif

namespace aistor::formats {
namespace {

constexpr std::uint32_t kCastagnoli = 0x82F63B78;  // reflected 0x1EDC6F41

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1U) != 0 ? (c >> 1) ^ kCastagnoli : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s)
    for (std::size_t i = 0; i < 256; ++i)
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFU];
  return t;
}

constexpr Tables kTables = make_tables();

std::uint32_t portable_raw(const std::byte* p, std::size_t n, std::uint32_t c) noexcept {
  const auto& t = kTables;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);  // the table layout assumes little-endian loads
    v ^= c;
    c = t[7][v & 0xFF] ^ t[6][(v >> 8) & 0xFF] ^ t[5][(v >> 16) & 0xFF] ^ t[4][(v >> 24) & 0xFF] ^
        t[3][(v >> 32) & 0xFF] ^ t[2][(v >> 40) & 0xFF] ^ t[1][(v >> 48) & 0xFF] ^
        t[0][(v >> 56) & 0xFF];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    c = (c >> 8) ^ t[0][(c ^ std::to_integer<std::uint32_t>(*p++)) & 0xFFU];
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t sse42_raw(const std::byte* p, std::size_t n,
                                                          std::uint32_t c) noexcept {
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c64);
  while (n-- > 0)
    c32 = _mm_crc32_u8(c32, std::to_integer<std::uint8_t>(*p++));
  return c32;
}

bool probe_sse42() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
}

__attribute__((target("sse4.1,pclmul"))) inline __m128i load(const std::byte* q) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
}

// x * k, folded 128 bits forward, xor the next block.
__attribute__((target("sse4.1,pclmul"))) inline __m128i fold(__m128i x, __m128i k,
                                                             __m128i next) noexcept {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

// A reflected CRC by carry-less multiplication: Gopal et al., "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ Instruction" (Intel, 2009). Folds four 128-bit lanes over
// 64-byte blocks, then one lane over 16-byte blocks, then Barrett-reduces to 32 bits. `n` must be
// a multiple of 16 and at least 64; `c` is the pre-inverted running CRC, as the raw loops above.
// The constants are (x^e mod P(x)) bit-reflected and shifted left by one, for the e the paper
// lists (k1: e = 4*128+32, k2: 4*128-32, k3: 128+32, k4: 128-32, k5: 64), then P itself and
// mu = floor(x^64 / P(x)), both reflected.
struct FoldConstants {
  long long k1, k2, k3, k4, k5, poly, mu;
};
// CRC-32 (0x04C11DB7); these equal the paper's and zlib's. CRC-32C (0x1EDC6F41) by the same
// formulas (tests/tfrecord_test.cpp checks both paths against the table implementations).
constexpr FoldConstants kCrc32Fold{0x154442bd4, 0x1c6e41596, 0x1751997d0, 0x0ccaa009e,
                                   0x163cd6124, 0x1db710641, 0x1f7011641};
constexpr FoldConstants kCrc32cFold{0x0740eef02, 0x09e4addf8, 0x0f20c0dfe, 0x14cd00bd6,
                                    0x0dd45aab8, 0x105ec76f1, 0x0dea713f1};

__attribute__((target("sse4.1,pclmul"))) std::uint32_t fold_raw(const std::byte* p, std::size_t n,
                                                                std::uint32_t c,
                                                                const FoldConstants& k) noexcept {
  const __m128i k1k2 = _mm_set_epi64x(k.k2, k.k1);
  const __m128i k3k4 = _mm_set_epi64x(k.k4, k.k3);
  const __m128i k5 = _mm_set_epi64x(0, k.k5);
  const __m128i poly_mu = _mm_set_epi64x(k.mu, k.poly);
  const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);

  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(c)));
  __m128i x2 = load(p + 16);
  __m128i x3 = load(p + 32);
  __m128i x4 = load(p + 48);
  p += 64;
  n -= 64;
  while (n >= 64) {
    x1 = fold(x1, k1k2, load(p));
    x2 = fold(x2, k1k2, load(p + 16));
    x3 = fold(x3, k1k2, load(p + 32));
    x4 = fold(x4, k1k2, load(p + 48));
    p += 64;
    n -= 64;
  }
  x1 = fold(x1, k3k4, x2);
  x1 = fold(x1, k3k4, x3);
  x1 = fold(x1, k3k4, x4);
  while (n >= 16) {
    x1 = fold(x1, k3k4, load(p));
    p += 16;
    n -= 16;
  }
  // 128 -> 64 bits, then 64 -> 32 by k5.
  __m128i x = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k3k4, 0x10));
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), k5, 0x00), _mm_srli_si128(x, 4));
  // Barrett reduction.
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), poly_mu, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly_mu, 0x00);
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x, t), 1));
}

bool probe_pclmul() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") != 0 && __builtin_cpu_supports("sse4.1") != 0;
}
#endif

}  // namespace

namespace detail {

std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  return ~portable_raw(data.data(), data.size(), ~crc);
}

bool crc32c_hardware() noexcept {
#if defined(__x86_64__)
  static const bool has = probe_sse42();
  return has;
#else
  return false;
#endif
}

std::uint32_t crc32_portable(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  // zlib answers a null buffer with the initial value, not `crc`; an empty span may be null.
  uLong c = crc;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  std::size_t n = data.size();
  while (n > 0) {  // zlib takes uInt lengths
    const auto chunk = static_cast<uInt>(n < UINT_MAX ? n : UINT_MAX);
    c = ::crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(c);
}

bool crc32_hardware() noexcept {
#if defined(__x86_64__)
  static const bool has = probe_pclmul();
  return has;
#else
  return false;
#endif
}

}  // namespace detail

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (detail::crc32c_hardware()) {
    std::uint32_t c = ~crc;
    // The crc32 instruction is one 8-byte stream; folding runs four lanes, which pays from a few
    // hundred bytes on.
    if (data.size() >= 256 && detail::crc32_hardware()) {
      const std::size_t folded = data.size() & ~std::size_t{15};
      c = fold_raw(data.data(), folded, c, kCrc32cFold);
      data = data.subspan(folded);
    }
    return ~sse42_raw(data.data(), data.size(), c);
  }
#endif
  return detail::crc32c_portable(data, crc);
}

std::uint32_t masked_crc32c(std::span<const std::byte> data) noexcept {
  std::uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8U;
}

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (data.size() >= 64 && detail::crc32_hardware()) {
    const std::size_t folded = data.size() & ~std::size_t{15};
    crc = ~fold_raw(data.data(), folded, ~crc, kCrc32Fold);
    data = data.subspan(folded);
  }
#endif
  return detail::crc32_portable(data, crc);
}

}  // namespace aistor::formats
