#pragma once
// Sample sizes of a generated dataset: fixed, uniform, normal or lognormal, clamped to [min, max].
// size_of(i) depends only on the seed and i, so any worker can compute any sample's size without
// a table, and the same config always gives the same sizes.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace aistor {
class ConfigNode;
}

namespace aistor::formats {

enum class SizeKind : std::uint8_t { fixed, uniform, normal, lognormal };

struct SizeDistribution {
  SizeKind kind = SizeKind::fixed;
  double mean = 4096;  // bytes; for lognormal the mean of the sizes, not of their logarithm
  double stdev = 0;    // bytes
  std::uint64_t min = 1;
  std::uint64_t max = 1ull << 30;

  [[nodiscard]] std::uint64_t size_of(std::uint64_t sample, std::uint64_t seed) const noexcept;
};

// Reads {"kind": "lognormal", "mean": "5KB", "stdev": "8KB", "min": "316B", "max": "237KB"}.
[[nodiscard]] SizeDistribution parse_size_distribution(ConfigNode& node);
[[nodiscard]] nlohmann::json to_json(const SizeDistribution& d);
// The inverse of to_json (a manifest's record of what was generated); throws on a bad shape.
[[nodiscard]] SizeDistribution size_distribution_from_json(const nlohmann::json& j);

}  // namespace aistor::formats
