#include "workloads/vector_search/beam_search.hpp"

#include <algorithm>

#include "core/splitmix.hpp"

namespace aistor {

BeamSearch::BeamSearch(const SearchIndex& index, const BeamParams& p)
    : index_(index), p_(p), vec_(index.header().dim) {}

void BeamSearch::start(std::span<const float> query) {
  query_.assign(query.begin(), query.end());
  index_.pq().pq.table(query_.data(), table_);
  list_.clear();
  exact_.clear();
  if (index_.header().count <= kBitmapNodes) {
    // Clear only what the last query set.
    if (bits_.empty()) bits_.assign((index_.header().count + 63) / 64, 0);
    for (const std::uint32_t id : touched_)
      bits_[id >> 6] = 0;
    touched_.clear();
  } else {
    // Room for every id a search of this list is likely to see (about 1.5 L expansions of R
    // neighbours) at under half full, so it rarely grows.
    std::size_t room = 1024;
    while (room < std::size_t{4} * p_.search_list * index_.header().degree)
      room *= 2;
    seen_.assign(room, 0);
  }
  seen_used_ = 0;
  hops_ = reads_ = cache_hits_ = 0;
  const auto entry = static_cast<std::uint32_t>(index_.header().entry);
  see(entry);
  list_.push_back({index_.pq().pq.distance(table_.data(), index_.pq().code(entry)), entry, false});
}

bool BeamSearch::see(std::uint32_t id) {
  if (!bits_.empty()) {  // a bit a node: one likely-cached word, no probing
    std::uint64_t& word = bits_[id >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (id & 63);
    if ((word & bit) != 0) return false;
    word |= bit;
    touched_.push_back(id);
    return true;
  }
  if ((seen_used_ + 1) * 2 > seen_.size()) {  // grow at half full
    std::vector<std::uint32_t> old(seen_.size() * 2, 0);
    old.swap(seen_);
    seen_used_ = 0;
    for (const std::uint32_t v : old)
      if (v != 0) see(v - 1);
  }
  const std::size_t mask = seen_.size() - 1;
  // Fibonacci hashing: one multiply spreads consecutive ids over the table.
  for (std::size_t at = (id * kGolden64) >> 32 & mask;; at = (at + 1) & mask) {
    if (seen_[at] == id + 1) return false;
    if (seen_[at] == 0) {
      seen_[at] = id + 1;
      ++seen_used_;
      return true;
    }
  }
}

void BeamSearch::offer(std::uint32_t id, float d) {
  if (list_.size() >= p_.search_list && d >= list_.back().d) return;
  const auto pos = std::upper_bound(list_.begin(), list_.end(), d,
                                    [](float v, const Candidate& c) { return v < c.d; });
  list_.insert(pos, {d, id, false});
  if (list_.size() > p_.search_list) list_.pop_back();
}

void BeamSearch::expand(std::uint32_t id, std::span<const std::byte> read) {
  const auto& h = index_.header();
  const auto r = formats::parse_record(h, id, read, index_.graph_file().string());
  formats::load_vector(index_.spec(), r.vector.data(), vec_);
  exact_.emplace_back(formats::l2_squared(vec_.data(), query_.data(), h.dim), id);
  // The unseen neighbours' codes are fetched together first (each a likely cache miss in a
  // large index), then ranked: DiskANN gathers them the same way.
  fresh_.clear();
  for (std::uint32_t i = 0; i < r.degree; ++i) {
    const std::uint32_t n = r.neighbour(i);
    if (see(n)) {
      fresh_.push_back(n);
      __builtin_prefetch(index_.pq().code(n));
    }
  }
  for (const std::uint32_t n : fresh_)
    offer(n, index_.pq().pq.distance(table_.data(), index_.pq().code(n)));
}

bool BeamSearch::next_hop(std::vector<std::uint32_t>& reads) {
  reads.clear();
  for (;;) {
    std::vector<std::uint32_t> picked;
    for (auto& c : list_) {
      if (picked.size() >= p_.beam_width) break;
      if (!c.expanded) {
        c.expanded = true;
        picked.push_back(c.id);
      }
    }
    if (picked.empty()) return false;
    for (const std::uint32_t id : picked) {
      if (const auto cached = index_.cached(id); !cached.empty()) {
        ++cache_hits_;
        expand(id, cached);
      } else {
        reads.push_back(id);
      }
    }
    if (!reads.empty()) {
      ++hops_;
      reads_ += static_cast<std::uint32_t>(reads.size());
      return true;
    }
  }
}

void BeamSearch::arrived(std::uint32_t id, std::span<const std::byte> read) {
  expand(id, read);
}

std::vector<std::uint32_t> BeamSearch::results() const {
  auto e = exact_;
  const std::size_t k = std::min<std::size_t>(p_.k, e.size());
  std::partial_sort(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(k), e.end());
  std::vector<std::uint32_t> ids(k);
  for (std::size_t i = 0; i < k; ++i)
    ids[i] = e[i].second;
  return ids;
}

}  // namespace aistor
