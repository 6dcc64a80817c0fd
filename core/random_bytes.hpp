#pragma once
#include <cstddef>
#include <cstdint>

namespace aistor {

// Fills memory with pseudo-random bytes (xoshiro256**), seeded: the same seed gives the same bytes.
void fill_random(std::byte* data, std::size_t bytes, std::uint64_t seed) noexcept;

}  // namespace aistor
