#pragma once
// One query's best-first beam search over a SearchIndex, as DiskANN's does on SSD: a list of the
// `search_list` (L) closest candidates by PQ distance; each hop expands the `beam_width` closest
// not yet expanded — their records read (or taken from the node cache) — and every neighbour not
// seen before enters the list by its PQ distance. The hop's reads are asked for together and the
// next hop is planned only once all of them arrived: the reads are dependent, as on a real index.
// The answer is the k expanded nodes nearest by full-precision distance (DiskANN's re-ranking).
// Not thread-safe: one per query in flight.
#include <cstdint>
#include <span>
#include <vector>

#include "workloads/vector_search/search_index.hpp"

namespace aistor {

struct BeamParams {
  std::uint32_t beam_width = 4;
  std::uint32_t search_list = 64;
  std::uint32_t k = 10;
};

class BeamSearch {
 public:
  BeamSearch(const SearchIndex& index, const BeamParams& p);

  // Begins a search for `query` (dim floats): the PQ table, the entry as the first candidate.
  void start(std::span<const float> query);
  // Plans the next hop: expands cached candidates in place and puts the ids to read into `reads`.
  // False when the search is over (nothing left to expand).
  [[nodiscard]] bool next_hop(std::vector<std::uint32_t>& reads);
  // One read of the hop arrived: `read` is node `id`'s aligned read. Throws InputError when the
  // record is damaged.
  void arrived(std::uint32_t id, std::span<const std::byte> read);
  // The k nearest expanded nodes, nearest first.
  [[nodiscard]] std::vector<std::uint32_t> results() const;

  [[nodiscard]] std::uint32_t hops() const noexcept { return hops_; }
  [[nodiscard]] std::uint32_t reads() const noexcept { return reads_; }
  [[nodiscard]] std::uint32_t cache_hits() const noexcept { return cache_hits_; }

 private:
  struct Candidate {
    float d;
    std::uint32_t id;
    bool expanded;
  };
  void expand(std::uint32_t id, std::span<const std::byte> read);
  void offer(std::uint32_t id, float d);
  // Marks `id` seen; false when it was already.
  bool see(std::uint32_t id);

  const SearchIndex& index_;
  BeamParams p_;
  std::vector<float> query_;
  std::vector<float> table_;
  std::vector<float> vec_;
  std::vector<Candidate> list_;
  std::vector<std::pair<float, std::uint32_t>> exact_;
  std::vector<std::uint32_t> fresh_;  // an expanded node's neighbours not seen before
  // Seen ids: a bit a node for indexes of up to kBitmapNodes nodes (1 MiB a query in flight),
  // else an open-addressing set (0 = empty, id + 1 stored).
  static constexpr std::uint64_t kBitmapNodes = std::uint64_t{1} << 23;
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint32_t> touched_;
  std::vector<std::uint32_t> seen_;
  std::size_t seen_used_ = 0;
  std::uint32_t hops_ = 0;
  std::uint32_t reads_ = 0;
  std::uint32_t cache_hits_ = 0;
};

}  // namespace aistor
