#pragma once
// The simulated accelerator time per batch, as DLIO draws it: fixed, or from a normal, uniform or
// gamma distribution (clamped at zero), seeded so runs repeat.
//
// Config: "compute": "20ms" (fixed), or an object
//   {"distribution": "fixed",   "mean": "20ms"}
//   {"distribution": "normal",  "mean": "20ms", "stddev": "2ms"}
//   {"distribution": "uniform", "min": "10ms", "max": "30ms"}
//   {"distribution": "gamma",   "shape": 2.0, "scale": "10ms"}     (mean = shape * scale)
#include <cstdint>
#include <random>

#include <nlohmann/json.hpp>

namespace aistor {

class ConfigNode;

struct ComputeTime {
  enum class Kind : std::uint8_t { fixed, normal, uniform, gamma };
  Kind kind = Kind::fixed;
  double mean_ns = 0;
  double stddev_ns = 0;
  double min_ns = 0;
  double max_ns = 0;
  double shape = 1;
  double scale_ns = 0;

  // Reads `key` of `phase` (absent: fixed 0, no compute). InputError with the JSON path.
  [[nodiscard]] static ComputeTime parse(ConfigNode& phase, std::string_view key);
  [[nodiscard]] bool none() const noexcept { return kind == Kind::fixed && mean_ns <= 0; }
  // One draw, in ns, never negative.
  [[nodiscard]] std::uint64_t draw(std::mt19937_64& rng) const;
  [[nodiscard]] double expected_ns() const noexcept;
  [[nodiscard]] nlohmann::json to_json() const;
};

}  // namespace aistor
