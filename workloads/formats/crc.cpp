#include "workloads/formats/crc.hpp"

#include <zlib.h>

#include <array>
#include <climits>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
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

}  // namespace detail

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (detail::crc32c_hardware()) return ~sse42_raw(data.data(), data.size(), ~crc);
#endif
  return detail::crc32c_portable(data, crc);
}

std::uint32_t masked_crc32c(std::span<const std::byte> data) noexcept {
  std::uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8U;
}

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  uLong c = crc;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  std::size_t n = data.size();
  do {  // zlib takes uInt lengths; also runs once for empty input so `crc` passes through
    const auto chunk = static_cast<uInt>(n < UINT_MAX ? n : UINT_MAX);
    c = ::crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  } while (n > 0);
  return static_cast<std::uint32_t>(c);
}

}  // namespace aistor::formats
