#include "workloads/common/compute_time.hpp"

#include <algorithm>
#include <cmath>

#include "core/config_node.hpp"
#include "core/units.hpp"

namespace aistor {

ComputeTime ComputeTime::parse(ConfigNode& phase, std::string_view key) {
  ComputeTime c;
  const nlohmann::json* raw = phase.raw(key);
  if (raw == nullptr) return c;
  if (!raw->is_object()) {  // "20ms" or a number of seconds
    c.mean_ns = static_cast<double>(phase.duration_ns(key, std::nullopt));
    return c;
  }
  ConfigNode node = phase.object(key);
  const std::string kind =
      node.choice("distribution", "fixed", {"fixed", "normal", "uniform", "gamma"});
  auto ns = [&](std::string_view k) {
    return static_cast<double>(node.duration_ns(k, std::nullopt));
  };
  if (kind == "fixed") {
    c.mean_ns = ns("mean");
  } else if (kind == "normal") {
    c.kind = Kind::normal;
    c.mean_ns = ns("mean");
    c.stddev_ns = ns("stddev");
  } else if (kind == "uniform") {
    c.kind = Kind::uniform;
    c.min_ns = ns("min");
    c.max_ns = ns("max");
    if (c.max_ns < c.min_ns) node.fail("max", "must not be below min");
  } else {
    c.kind = Kind::gamma;
    c.shape = node.number("shape", std::nullopt, 1e-3, 1e6);
    c.scale_ns = ns("scale");
  }
  node.finish();
  return c;
}

std::uint64_t ComputeTime::draw(std::mt19937_64& rng) const {
  double v = mean_ns;
  switch (kind) {
    case Kind::fixed:
      break;
    case Kind::normal:
      v = std::normal_distribution<double>(mean_ns, stddev_ns)(rng);
      break;
    case Kind::uniform:
      v = std::uniform_real_distribution<double>(min_ns, max_ns)(rng);
      break;
    case Kind::gamma:
      v = scale_ns > 0 ? std::gamma_distribution<double>(shape, scale_ns)(rng) : 0;
      break;
  }
  return v > 0 ? static_cast<std::uint64_t>(std::llround(v)) : 0;
}

double ComputeTime::expected_ns() const noexcept {
  switch (kind) {
    case Kind::uniform:
      return (min_ns + max_ns) / 2;
    case Kind::gamma:
      return shape * scale_ns;
    case Kind::fixed:
    case Kind::normal:
      break;
  }
  return mean_ns;
}

nlohmann::json ComputeTime::to_json() const {
  switch (kind) {
    case Kind::fixed:
      return {{"distribution", "fixed"}, {"mean_ns", mean_ns}};
    case Kind::normal:
      return {{"distribution", "normal"}, {"mean_ns", mean_ns}, {"stddev_ns", stddev_ns}};
    case Kind::uniform:
      return {{"distribution", "uniform"}, {"min_ns", min_ns}, {"max_ns", max_ns}};
    case Kind::gamma:
      break;
  }
  return {{"distribution", "gamma"}, {"shape", shape}, {"scale_ns", scale_ns}};
}

}  // namespace aistor
