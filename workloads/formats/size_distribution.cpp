#include "workloads/formats/size_distribution.hpp"

#include <algorithm>
#include <cmath>

#include "core/config_node.hpp"
#include "core/splitmix.hpp"

namespace aistor::formats {
namespace {

std::uint64_t mix(std::uint64_t z) noexcept {
  return mix64(z + kGolden64);
}

// Uniform in (0, 1), never 0 (logarithms follow).
double unit(std::uint64_t bits) noexcept {
  return (static_cast<double>(bits >> 11) + 0.5) / 9007199254740992.0;
}

double standard_normal(std::uint64_t a, std::uint64_t b) noexcept {
  constexpr double kTwoPi = 6.283185307179586;
  return std::sqrt(-2.0 * std::log(unit(a))) * std::cos(kTwoPi * unit(b));
}

}  // namespace

std::uint64_t SizeDistribution::size_of(std::uint64_t sample, std::uint64_t seed) const noexcept {
  std::uint64_t a = mix(seed * 0x2545F4914F6CDD1DULL ^ mix(sample));
  std::uint64_t b = mix(a);
  double x = mean;
  switch (kind) {
    case SizeKind::fixed:
      break;
    case SizeKind::uniform:
      x = static_cast<double>(min) + unit(a) * static_cast<double>(max - min + 1);
      break;
    case SizeKind::normal:
      x = mean + stdev * standard_normal(a, b);
      break;
    case SizeKind::lognormal: {
      // Parameters of the underlying normal from the mean and stdev of the sizes themselves.
      double var = std::log1p((stdev * stdev) / (mean * mean));
      double mu = std::log(mean) - var / 2;
      x = std::exp(mu + std::sqrt(var) * standard_normal(a, b));
      break;
    }
  }
  x = std::clamp(std::floor(x), static_cast<double>(min), static_cast<double>(max));
  return static_cast<std::uint64_t>(x);
}

SizeDistribution parse_size_distribution(ConfigNode& node) {
  SizeDistribution d;
  auto kind = node.choice("kind", "fixed", {"fixed", "uniform", "normal", "lognormal"});
  d.kind = kind == "uniform"     ? SizeKind::uniform
           : kind == "normal"    ? SizeKind::normal
           : kind == "lognormal" ? SizeKind::lognormal
                                 : SizeKind::fixed;
  d.min = node.size("min", d.kind == SizeKind::fixed ? 0 : 1, 0);
  d.max = node.size("max", 1ull << 30, 1, 1ull << 32);
  if (d.kind == SizeKind::uniform) {
    if (d.min > d.max) node.fail("min", "must not exceed max");
    d.mean = (static_cast<double>(d.min) + static_cast<double>(d.max)) / 2;
  } else {
    d.mean = static_cast<double>(node.size("mean", std::nullopt, 1, 1ull << 32));
    d.stdev =
        d.kind == SizeKind::fixed ? 0.0 : static_cast<double>(node.size("stdev", std::nullopt));
    if (d.kind == SizeKind::fixed) {
      d.min = d.max = static_cast<std::uint64_t>(d.mean);
    } else if (d.min > d.max) {
      node.fail("min", "must not exceed max");
    }
  }
  node.finish();
  return d;
}

nlohmann::json to_json(const SizeDistribution& d) {
  const char* kinds[] = {"fixed", "uniform", "normal", "lognormal"};
  return {{"kind", kinds[static_cast<int>(d.kind)]},
          {"mean", d.mean},
          {"stdev", d.stdev},
          {"min", d.min},
          {"max", d.max}};
}

SizeDistribution size_distribution_from_json(const nlohmann::json& j) {
  SizeDistribution d;
  auto kind = j.at("kind").get<std::string>();
  d.kind = kind == "uniform"     ? SizeKind::uniform
           : kind == "normal"    ? SizeKind::normal
           : kind == "lognormal" ? SizeKind::lognormal
                                 : SizeKind::fixed;
  d.mean = j.at("mean").get<double>();
  d.stdev = j.at("stdev").get<double>();
  d.min = j.at("min").get<std::uint64_t>();
  d.max = j.at("max").get<std::uint64_t>();
  return d;
}

}  // namespace aistor::formats
