#pragma once
// What one vector-search worker counted, merged over the workers when the phase ends.
#include <cstdint>

#include "core/histogram.hpp"

namespace aistor {

struct VsTallies {
  LatencyHistogram latency;  // per query, start to answer
  LatencyHistogram hops;     // per query (a count, kept in the same histogram)
  std::uint64_t queries = 0;
  std::uint64_t failed_queries = 0;  // a read failed
  std::uint64_t hops_total = 0;
  std::uint64_t reads = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t bytes = 0;
  std::uint64_t latency_ns = 0;  // sum over queries
  std::uint64_t io_ns = 0;       // sum over queries of each hop's wait for its reads
  std::uint64_t read_ns = 0;     // sum over reads of submission to completion
  std::uint64_t recall_queries = 0;
  std::uint64_t recall_hits = 0;  // of recall_queries x k

  void merge(const VsTallies& o) {
    latency.merge(o.latency);
    hops.merge(o.hops);
    queries += o.queries;
    failed_queries += o.failed_queries;
    hops_total += o.hops_total;
    reads += o.reads;
    cache_hits += o.cache_hits;
    bytes += o.bytes;
    latency_ns += o.latency_ns;
    io_ns += o.io_ns;
    read_ns += o.read_ns;
    recall_queries += o.recall_queries;
    recall_hits += o.recall_hits;
  }
};

}  // namespace aistor
