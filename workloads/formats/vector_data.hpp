#pragma once
// The vectors a vector-search index is built over, and its queries: seeded, generated on demand
// (vector i is a pure function of the spec and i, so ground truth never needs them stored).
// "clustered": `clusters` centres uniform in [-1, 1]^dim, each with its own `intrinsic_dim` random
// directions; a vector is its cluster's centre plus a Gaussian mix of those directions (as much
// spread as isotropic noise of sigma 0.25 would give) plus isotropic noise of sigma 0.02 — data of
// low intrinsic dimension, as real embeddings are (isotropic Gaussians in 128 dimensions have
// nearly no near neighbours to find). "uniform": every coordinate uniform in [-1, 1] (MLPerf's
// dataset). uint8 maps [-1.5, 1.5] onto 0..255.
// Cosine normalises every float vector (distance = squared L2 of unit vectors, 2 - 2 cos).
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/formats/vector_index.hpp"

namespace aistor {
class ConfigNode;
}

namespace aistor::formats {

enum class VectorDistribution : std::uint8_t { clustered, uniform };

struct IndexSpec {
  std::uint32_t dim = 128;
  std::uint64_t count = 20000;
  VectorDtype dtype = VectorDtype::float32;
  VectorMetric metric = VectorMetric::l2;
  VectorDistribution distribution = VectorDistribution::clustered;
  std::uint32_t clusters = 64;
  std::uint32_t intrinsic_dim = 32;  // clustered: the directions each cluster spreads along
  std::uint32_t degree = 32;         // R: the most neighbours a node keeps
  std::uint32_t build_list = 64;     // L during the build
  double alpha = 1.2;                // the pruning's slack (DiskANN's second pass)
  std::uint32_t pq_bytes = 32;       // PQ subspaces (one byte of code each)
  std::uint64_t seed = 1;
  std::string preset;  // "" or the preset the spec came from
  double scale = 1.0;  // the factor applied to the preset's count

  [[nodiscard]] nlohmann::json to_json() const;
  // From a manifest; InputError naming `origin` when malformed.
  [[nodiscard]] static IndexSpec from_json(const nlohmann::json& j, const std::string& origin);
  // From a config object ("index" of a phase, or `aistor gen index`'s options).
  [[nodiscard]] static IndexSpec parse(ConfigNode& node);
  [[nodiscard]] VectorIndexHeader header(std::uint64_t entry) const {
    return {dim, dtype, metric, count, degree, entry};
  }
};

// The spec's vectors and queries (the same distribution from another stream). Vector `i` comes
// as floats, normalised for cosine, quantised and back for uint8, so every distance is computed on
// what is stored. Holds the clusters' centres and directions; const methods are thread-safe.
class VectorSource {
 public:
  explicit VectorSource(const IndexSpec& s);
  void vector(std::uint64_t i, std::span<float> out) const;
  void query(std::uint64_t q, std::span<float> out) const;
  // Every vector, count x dim. Throws InputError when `stop` is set.
  [[nodiscard]] std::vector<float> all(const std::atomic<bool>* stop) const;

 private:
  void generate(std::uint64_t stream, std::uint64_t i, std::span<float> out) const;
  IndexSpec s_;
  std::vector<float> centres_;  // clusters x dim
  std::vector<float> bases_;    // clusters x intrinsic_dim x dim
};

// The stored bytes of a float vector in the spec's dtype (dim x dtype bytes).
void store_vector(const IndexSpec& s, std::span<const float> v, std::byte* out);
// A stored vector back as floats.
void load_vector(const IndexSpec& s, const std::byte* in, std::span<float> out);

// Squared L2 distance.
[[nodiscard]] float l2_squared(const float* a, const float* b, std::size_t n) noexcept;

// The exact k nearest of `count` vectors to `query` (ids, nearest first; ties by id).
[[nodiscard]] std::vector<std::uint32_t> exact_neighbours(const IndexSpec& s,
                                                          const std::vector<float>& all,
                                                          std::span<const float> query,
                                                          std::uint32_t k);

}  // namespace aistor::formats
