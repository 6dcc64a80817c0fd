// CRC-32C and CRC-32: the published vectors, chaining, and every fast path against its reference.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string_view>
#include <vector>

#include "workloads/formats/crc.hpp"

namespace aistor::formats {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s));
}

TEST(Crc, KnownVectors) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283U);
  EXPECT_EQ(detail::crc32c_portable(bytes_of("123456789")), 0xE3069283U);
  EXPECT_EQ(crc32(bytes_of("123456789")), 0xCBF43926U);
  const std::array<std::byte, 32> zeros{};
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAU);  // RFC 3720 B.4
  EXPECT_EQ(detail::crc32c_portable(zeros), 0x8A9136AAU);
  EXPECT_EQ(crc32c({}), 0U);
  EXPECT_EQ(crc32({}), 0U);
  EXPECT_EQ(crc32({}, 0x1234U), 0x1234U);  // an empty (null) span passes the running CRC through
  EXPECT_EQ(crc32c({}, 0x1234U), 0x1234U);
  EXPECT_EQ(masked_crc32c({}), 0xa282ead8U);
}

TEST(Crc, Chaining) {
  const auto all = bytes_of("The quick brown fox jumps over the lazy dog");
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    EXPECT_EQ(crc32c(all.subspan(cut), crc32c(all.first(cut))), crc32c(all));
    EXPECT_EQ(detail::crc32c_portable(all.subspan(cut), detail::crc32c_portable(all.first(cut))),
              crc32c(all));
    EXPECT_EQ(crc32(all.subspan(cut), crc32(all.first(cut))), crc32(all));
  }
}

// The fast path against the reference on every length below `max_len` from several starts, with a
// running CRC to carry, and on the whole buffer.
template <typename Fast, typename Reference>
void expect_paths_agree(Fast fast, Reference reference, std::uint64_t seed, std::size_t bytes,
                        std::size_t max_len, std::initializer_list<std::size_t> starts,
                        std::uint32_t carry) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> buf(bytes);
  for (auto& b : buf)
    b = static_cast<std::byte>(rng());
  for (std::size_t len = 0; len < max_len; ++len)
    for (std::size_t start : starts) {
      auto s = std::span(buf).subspan(start, len);
      ASSERT_EQ(fast(s, carry), reference(s, carry)) << len << " " << start;
    }
  EXPECT_EQ(fast(buf, 0), reference(buf, 0));
}

TEST(Crc, HardwareMatchesTable) {
  if (!detail::crc32c_hardware()) GTEST_SKIP() << "CPU lacks SSE4.2; only the table path runs";
  expect_paths_agree(crc32c, detail::crc32c_portable, 3, 5000, 300, {0, 1, 3, 7}, 0x1234);
}

TEST(Crc, Crc32FoldingMatchesZlib) {
  if (!detail::crc32_hardware()) GTEST_SKIP() << "CPU lacks PCLMULQDQ; only zlib's path runs";
  expect_paths_agree(crc32, detail::crc32_portable, 5, 70000, 400, {0, 1, 5, 15}, 0x89abcdef);
  const std::vector<std::byte> ones(4096, std::byte{0xFF});
  EXPECT_EQ(crc32(ones), detail::crc32_portable(ones));
}

}  // namespace
}  // namespace aistor::formats
