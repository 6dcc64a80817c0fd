#pragma once
// Builds a vector-search index directory (`aistor gen index`, or a vector-search phase's untimed
// preparation): the vectors generated from the spec, the PQ codes (pq.bin), the graph laid out as
// DiskANN lays it out (graph.index), and the manifest (aistor-index.json) written first marked
// incomplete, then complete. A directory whose complete manifest has the same spec is reused; one
// with another spec has the files its manifest lists replaced; one holding files aistor did not
// make is refused.
#include <atomic>
#include <cstdint>
#include <filesystem>

#include "workloads/formats/vector_data.hpp"

namespace aistor::formats {

struct IndexBuildResult {
  bool reused = false;
  double seconds = 0;
  std::uint64_t graph_bytes = 0;
  std::uint64_t pq_bytes = 0;
  std::uint64_t reachable = 0;
};

[[nodiscard]] IndexBuildResult build_index(const IndexSpec& spec, const std::filesystem::path& dir,
                                           unsigned threads, const std::atomic<bool>* stop);

// The spec of a complete index directory, or InputError naming what is wrong.
[[nodiscard]] IndexSpec read_index_spec(const std::filesystem::path& dir);

}  // namespace aistor::formats
