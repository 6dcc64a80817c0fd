#pragma once
// An index directory opened for searching: its header (the on-disk layout), its PQ codes (the
// in-memory part) and, optionally, a node cache — the records of the `cache_nodes` nodes nearest
// the entry in hops (DiskANN's cached BFS levels), read untimed, so a search expands them without
// a read. Read-only once built: shared by every worker.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "workloads/formats/vector_data.hpp"
#include "workloads/formats/vector_index.hpp"
#include "workloads/formats/vector_pq.hpp"

namespace aistor {

class SearchIndex {
 public:
  // Opens and checks dir's graph.index header and pq.bin (InputError with file and offset when
  // damaged or inconsistent), then caches `cache_nodes` records.
  SearchIndex(const std::filesystem::path& dir, std::uint64_t cache_nodes);

  [[nodiscard]] const formats::IndexSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] const formats::VectorIndexHeader& header() const noexcept { return header_; }
  [[nodiscard]] const formats::PqFile& pq() const noexcept { return pq_; }
  [[nodiscard]] const std::filesystem::path& graph_file() const noexcept { return graph_; }
  // The cached node's aligned read (as a read of it would return), or empty.
  [[nodiscard]] std::span<const std::byte> cached(std::uint32_t id) const;
  [[nodiscard]] std::uint64_t cached_nodes() const noexcept { return cache_index_.size(); }
  // What the in-memory part holds: codes, codebooks, cache.
  [[nodiscard]] std::uint64_t memory_bytes() const noexcept;

 private:
  void fill_cache(std::uint64_t nodes);

  formats::IndexSpec spec_;
  formats::VectorIndexHeader header_;
  formats::PqFile pq_;
  std::filesystem::path graph_;
  std::unordered_map<std::uint32_t, std::size_t> cache_index_;  // id -> offset in cache_
  std::vector<std::byte> cache_;
};

}  // namespace aistor
