#pragma once
// The bytes of generated sample `id`: incompressible, seeded, and self-describing, so whoever
// reads it can tell whether it got the right sample, whole.
//
// Samples of 16 bytes or more start with a header: u64 id, u32 length, u32 CRC-32C of the bytes
// after the header (little-endian), then pseudo-random bytes from (seed, id). Shorter samples are
// pseudo-random bytes only (checkable by regenerating them from the seed).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace aistor::formats {

inline constexpr std::size_t kSampleHeader = 16;

void fill_sample(std::span<std::byte> out, std::uint64_t id, std::uint64_t seed) noexcept;

// Checks a sample's header against the expected id and its length and CRC; nullopt when it is
// right, else what is wrong ("id 17 where 12 was expected", "checksum mismatch"). Samples shorter
// than the header are regenerated from `seed` and compared.
[[nodiscard]] std::optional<std::string> check_sample(std::span<const std::byte> sample,
                                                      std::uint64_t expected_id,
                                                      std::uint64_t seed);

}  // namespace aistor::formats
