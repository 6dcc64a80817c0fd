#pragma once
// Products and sums of config numbers in 64 bits, checked: nullopt where the true result does not
// fit, so a caller refuses the key that holds the numbers instead of computing with a wrapped one.
#include <cstdint>
#include <optional>

namespace aistor {

[[nodiscard]] constexpr std::optional<std::uint64_t> checked_mul(std::uint64_t a,
                                                                 std::uint64_t b) noexcept {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

[[nodiscard]] constexpr std::optional<std::uint64_t> checked_add(std::uint64_t a,
                                                                 std::uint64_t b) noexcept {
  std::uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// The chained forms: nullopt in, nullopt out.
[[nodiscard]] constexpr std::optional<std::uint64_t> checked_mul(std::optional<std::uint64_t> a,
                                                                 std::uint64_t b) noexcept {
  return a ? checked_mul(*a, b) : std::nullopt;
}
[[nodiscard]] constexpr std::optional<std::uint64_t> checked_mul(
    std::optional<std::uint64_t> a, std::optional<std::uint64_t> b) noexcept {
  return a && b ? checked_mul(*a, *b) : std::nullopt;
}
[[nodiscard]] constexpr std::optional<std::uint64_t> checked_add(
    std::optional<std::uint64_t> a, std::optional<std::uint64_t> b) noexcept {
  return a && b ? checked_add(*a, *b) : std::nullopt;
}

}  // namespace aistor
