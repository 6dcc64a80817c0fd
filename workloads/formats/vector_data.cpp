#include "workloads/formats/vector_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/splitmix.hpp"

namespace aistor::formats {
namespace {

constexpr std::uint64_t kCentreStream = 0x63656e7472657321ULL;
constexpr std::uint64_t kVectorStream = 0x766563746f727321ULL;
constexpr std::uint64_t kQueryStream = 0x7175657269657321ULL;
constexpr double kSigma = 0.25;
constexpr double kNoise = 0.02;
constexpr float kUint8Low = -1.5F;
constexpr float kUint8Span = 3.0F;

double uniform01(std::uint64_t& state) {
  return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

double gaussian(std::uint64_t& state) {
  const double u = std::max(uniform01(state), 1e-300);
  const double v = uniform01(state);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

void finish(const IndexSpec& s, std::span<float> v) {
  if (s.metric == VectorMetric::cosine) {
    double n = 0;
    for (float x : v)
      n += double{x} * x;
    const float inv = n > 0 ? static_cast<float>(1 / std::sqrt(n)) : 0.0F;
    for (auto& x : v)
      x *= inv;
  }
  if (s.dtype == VectorDtype::uint8) {
    std::vector<std::byte> b(v.size());
    store_vector(s, v, b.data());
    load_vector(s, b.data(), v);
  }
}

}  // namespace

VectorSource::VectorSource(const IndexSpec& s) : s_(s) {
  if (s.distribution != VectorDistribution::clustered) return;
  centres_.resize(std::size_t{s.clusters} * s.dim);
  bases_.resize(std::size_t{s.clusters} * s.intrinsic_dim * s.dim);
  std::uint64_t state = mix64(s.seed ^ kCentreStream);
  for (auto& x : centres_)
    x = static_cast<float>(uniform01(state) * 2 - 1);
  // Directions of unit expected length; a coefficient's sigma gives the spread isotropic noise of
  // kSigma would have over all dimensions.
  const double unit = 1 / std::sqrt(static_cast<double>(s.dim));
  for (auto& x : bases_)
    x = static_cast<float>(gaussian(state) * unit);
}

void VectorSource::generate(std::uint64_t stream, std::uint64_t i, std::span<float> out) const {
  std::uint64_t state = mix64(mix64(s_.seed ^ stream) + i);
  if (s_.distribution == VectorDistribution::uniform) {
    for (auto& x : out)
      x = static_cast<float>(uniform01(state) * 2 - 1);
  } else {
    const auto c = static_cast<std::uint32_t>(splitmix64(state) % s_.clusters);
    const float* centre = &centres_[std::size_t{c} * s_.dim];
    std::copy(centre, centre + s_.dim, out.begin());
    const double spread = kSigma * std::sqrt(static_cast<double>(s_.dim) / s_.intrinsic_dim);
    for (std::uint32_t j = 0; j < s_.intrinsic_dim; ++j) {
      const auto z = static_cast<float>(gaussian(state) * spread);
      const float* b = &bases_[(std::size_t{c} * s_.intrinsic_dim + j) * s_.dim];
      for (std::uint32_t d = 0; d < s_.dim; ++d)
        out[d] += z * b[d];
    }
    for (auto& x : out)
      x += static_cast<float>(kNoise * gaussian(state));
  }
  finish(s_, out);
}

void VectorSource::vector(std::uint64_t i, std::span<float> out) const {
  generate(kVectorStream, i, out);
}

void VectorSource::query(std::uint64_t q, std::span<float> out) const {
  generate(kQueryStream, q, out);
}

std::vector<float> VectorSource::all(const std::atomic<bool>* stop) const {
  std::vector<float> data(s_.count * s_.dim);
  for (std::uint64_t i = 0; i < s_.count; ++i) {
    if (stop != nullptr && (i & 4095) == 0 && stop->load())
      throw InputError("interrupted while generating vectors");
    vector(i, std::span<float>(&data[i * s_.dim], s_.dim));
  }
  return data;
}

void store_vector(const IndexSpec& s, std::span<const float> v, std::byte* out) {
  if (s.dtype == VectorDtype::float32) {
    std::memcpy(out, v.data(), v.size() * sizeof(float));
    return;
  }
  for (std::size_t d = 0; d < v.size(); ++d) {
    const float q = std::round((v[d] - kUint8Low) / kUint8Span * 255.0F);
    out[d] = static_cast<std::byte>(static_cast<std::uint8_t>(std::clamp(q, 0.0F, 255.0F)));
  }
}

void load_vector(const IndexSpec& s, const std::byte* in, std::span<float> out) {
  if (s.dtype == VectorDtype::float32) {
    std::memcpy(out.data(), in, out.size() * sizeof(float));
    return;
  }
  for (std::size_t d = 0; d < out.size(); ++d)
    out[d] =
        static_cast<float>(std::to_integer<std::uint8_t>(in[d])) * kUint8Span / 255.0F + kUint8Low;
}

float l2_squared(const float* a, const float* b, std::size_t n) noexcept {
  float acc[8] = {};
  std::size_t d = 0;
  for (; d + 8 <= n; d += 8) {
    for (std::size_t j = 0; j < 8; ++j) {
      const float t = a[d + j] - b[d + j];
      acc[j] += t * t;
    }
  }
  float sum = 0;
  for (; d < n; ++d) {
    const float t = a[d] - b[d];
    sum += t * t;
  }
  for (float x : acc)
    sum += x;
  return sum;
}

std::vector<std::uint32_t> exact_neighbours(const IndexSpec& s, const std::vector<float>& all,
                                            std::span<const float> query, std::uint32_t k) {
  std::vector<std::pair<float, std::uint32_t>> d(s.count);
  for (std::uint64_t i = 0; i < s.count; ++i)
    d[i] = {l2_squared(&all[i * s.dim], query.data(), s.dim), static_cast<std::uint32_t>(i)};
  const std::size_t kk = std::min<std::size_t>(k, d.size());
  std::partial_sort(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(kk), d.end());
  std::vector<std::uint32_t> ids(kk);
  for (std::size_t i = 0; i < kk; ++i)
    ids[i] = d[i].second;
  return ids;
}

nlohmann::json IndexSpec::to_json() const {
  return {{"dim", dim},
          {"count", count},
          {"dtype", formats::to_string(dtype)},
          {"metric", formats::to_string(metric)},
          {"distribution", distribution == VectorDistribution::uniform ? "uniform" : "clustered"},
          {"clusters", clusters},
          {"intrinsic_dim", intrinsic_dim},
          {"degree", degree},
          {"build_list", build_list},
          {"alpha", alpha},
          {"pq_bytes", pq_bytes},
          {"seed", seed},
          {"preset", preset},
          {"scale", scale}};
}

IndexSpec IndexSpec::from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    nlohmann::json copy = j;
    const double scale = copy.value("scale", 1.0);
    copy["scale"] = 1.0;  // the count stored is the scaled one
    ConfigNode node(copy, origin);
    IndexSpec s = parse(node);
    s.scale = scale;
    return s;
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: malformed index spec: {}", origin, e.what()));
  }
}

IndexSpec IndexSpec::parse(ConfigNode& n) {
  IndexSpec s;
  s.preset = n.choice("preset", "", {"", "mlperf-vectordb"});
  if (s.preset == "mlperf-vectordb") {
    // MLPerf Storage v3.0's vector-database default: 1,000,000 uniform 1,536-dimension float32
    // vectors, cosine, Milvus's DiskANN defaults (max_degree 56, search_list 100, PQ codes an
    // eighth of the raw vectors).
    s.dim = 1536;
    s.count = 1000000;
    s.metric = VectorMetric::cosine;
    s.distribution = VectorDistribution::uniform;
    s.degree = 56;
    s.build_list = 100;
    s.pq_bytes = 768;
  }
  s.scale = n.number("scale", 1.0, 1e-9, 1.0);
  s.dim = static_cast<std::uint32_t>(n.integer("dim", s.dim, 1, kMaxIndexDim));
  const auto count = static_cast<std::uint64_t>(
      n.integer("count", static_cast<std::int64_t>(s.count), 1, std::int64_t{1} << 31));
  s.count = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::llround(static_cast<double>(count) * s.scale)));
  s.dtype = n.choice("dtype", to_string(s.dtype), {"float32", "uint8"}) == "uint8"
                ? VectorDtype::uint8
                : VectorDtype::float32;
  s.metric = n.choice("metric", to_string(s.metric), {"l2", "cosine"}) == "cosine"
                 ? VectorMetric::cosine
                 : VectorMetric::l2;
  if (s.metric == VectorMetric::cosine && s.dtype == VectorDtype::uint8)
    n.fail("metric", "cosine needs float32 vectors (uint8 ones are not normalised)");
  s.distribution = n.choice("distribution",
                            s.distribution == VectorDistribution::uniform ? "uniform" : "clustered",
                            {"clustered", "uniform"}) == "uniform"
                       ? VectorDistribution::uniform
                       : VectorDistribution::clustered;
  s.clusters = static_cast<std::uint32_t>(n.integer("clusters", s.clusters, 1, 1 << 16));
  s.intrinsic_dim = static_cast<std::uint32_t>(
      n.integer("intrinsic_dim", std::min(s.intrinsic_dim, s.dim), 1, kMaxIndexDim));
  if (s.intrinsic_dim > s.dim)
    n.fail("intrinsic_dim", fmt::format("{} directions in {} dimensions", s.intrinsic_dim, s.dim));
  if (std::uint64_t{s.clusters} * s.intrinsic_dim * s.dim > (std::uint64_t{1} << 28))
    n.fail("clusters", "clusters x intrinsic_dim x dim is over 2^28 floats of directions");
  s.degree = static_cast<std::uint32_t>(n.integer("degree", s.degree, 1, kMaxIndexDegree));
  if (s.degree >= s.count) {
    n.fail("degree", fmt::format("{} neighbours a node among {} vectors: the degree must be below "
                                 "the count",
                                 s.degree, s.count));
  }
  s.build_list = static_cast<std::uint32_t>(n.integer("build_list", s.build_list, 1, 4096));
  if (s.build_list < s.degree)
    n.fail("build_list", fmt::format("{} is below the degree {}: the build could not fill a "
                                     "node's list",
                                     s.build_list, s.degree));
  s.alpha = n.number("alpha", s.alpha, 1.0, 4.0);
  s.pq_bytes = static_cast<std::uint32_t>(
      n.integer("pq_bytes", std::min<std::uint32_t>(s.pq_bytes, s.dim), 1, kMaxIndexDim));
  if (s.pq_bytes > s.dim)
    n.fail("pq_bytes", fmt::format("{} subspaces for {} dimensions: at most one a dimension",
                                   s.pq_bytes, s.dim));
  s.seed = static_cast<std::uint64_t>(n.integer("seed", 1, 0));
  n.finish();
  return s;
}

}  // namespace aistor::formats
