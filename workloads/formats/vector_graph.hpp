#pragma once
// A navigable graph over vectors, built as DiskANN's Vamana builds it: the entry is the medoid;
// every vector, in a seeded random order, is searched for from the entry (best-first, list of
// `build_list`), its neighbours chosen from what the search visited by robust pruning (a candidate
// is dropped when a chosen neighbour is `alpha` times closer to it than the node is), at most
// `degree` of them, and each neighbour given the edge back (pruned again when over `degree`). Two
// passes: alpha 1, then the spec's alpha. Nodes the entry cannot reach are then linked in, so a
// search can find every vector.
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace aistor::formats {

struct VectorGraph {
  std::vector<std::vector<std::uint32_t>> neighbours;
  std::uint32_t entry = 0;
};

struct GraphBuildParams {
  std::uint32_t dim = 0;
  std::uint32_t degree = 32;
  std::uint32_t build_list = 64;
  double alpha = 1.2;
  std::uint64_t seed = 1;
  unsigned threads = 1;
};

// Builds over `data` (count x dim floats). Throws InputError when `stop` is set.
[[nodiscard]] VectorGraph build_graph(std::span<const float> data, const GraphBuildParams& p,
                                      const std::atomic<bool>* stop);

// The nodes the entry reaches (a breadth-first walk).
[[nodiscard]] std::uint64_t reachable_from_entry(const VectorGraph& g);

}  // namespace aistor::formats
