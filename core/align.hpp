#pragma once
// Rounding offsets and lengths to an alignment (O_DIRECT blocks, pages). `a` must not be 0.
#include <cstdint>

namespace aistor {

[[nodiscard]] constexpr std::uint64_t align_down(std::uint64_t v, std::uint64_t a) noexcept {
  return v / a * a;
}
[[nodiscard]] constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) noexcept {
  return (v + a - 1) / a * a;
}

}  // namespace aistor
