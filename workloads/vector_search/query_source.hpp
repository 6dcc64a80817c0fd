#pragma once
// One vector-search worker's queries as a request source: `slots` queries in flight, each a
// BeamSearch. next() hands out the reads of hops that are planned; completed() feeds each read to
// its query and, when the hop's last read arrived, plans the query's next hop (or, when it is over,
// scores it and starts the next query). Between hops next() has nothing: waiting() keeps the pump
// reaping.
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engines/pump.hpp"
#include "workloads/vector_search/beam_search.hpp"
#include "workloads/vector_search/vs_tallies.hpp"

namespace aistor {

struct QueryPlan {
  const SearchIndex* index = nullptr;
  BeamParams beam;
  FileId file = 0;
  const std::vector<float>* queries = nullptr;  // pool x dim
  std::uint32_t pool = 1;
  // The exact neighbours of the first ground_truth.size() query ids (recall).
  const std::vector<std::vector<std::uint32_t>>* ground_truth = nullptr;
  std::atomic<std::uint64_t>* issued = nullptr;  // query ids handed out, over every worker
  std::uint64_t limit = 0;                       // queries in all; 0: until the deadline
};

class QuerySource final : public RequestSource {
 public:
  QuerySource(const QueryPlan& plan, unsigned slots, VsTallies& tallies);

  // Starts every slot's first query (untimed work is none: the PQ table is part of a query).
  void begin();
  [[nodiscard]] bool next(IoRequest& request) override;
  void completed(const IoRequest& request, std::int64_t res) override;
  [[nodiscard]] bool waiting() const override { return in_flight_ > 0; }

 private:
  struct Slot {
    explicit Slot(const SearchIndex& index, const BeamParams& p) : search(index, p) {}
    BeamSearch search;
    bool active = false;
    bool failed = false;  // a read of this hop failed
    std::uint64_t query = 0;
    std::uint64_t start_ns = 0;
    std::uint64_t hop_ns = 0;  // when the hop's first read was handed out
    std::uint64_t io_ns = 0;
    std::vector<std::uint32_t> reads;      // this hop's
    std::vector<std::uint64_t> issued_ns;  // per read of the hop
    std::size_t handed = 0;                // reads handed to the pump
    std::size_t arrived = 0;
  };
  void start(Slot& s);
  void advance(Slot& s);
  void finish(Slot& s);

  QueryPlan plan_;
  std::vector<Slot> slots_;
  VsTallies& t_;
  std::size_t cursor_ = 0;  // round-robin over slots in next()
  std::size_t in_flight_ = 0;
};

}  // namespace aistor
