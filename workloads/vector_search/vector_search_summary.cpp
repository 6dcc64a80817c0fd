// The vector-search phase's figures: QPS, query latency, hops and reads, the device's IOPS and
// queue depth, the share of query time spent waiting on reads, recall, memory.
#include <fstream>
#include <string>

#include "workloads/vector_search/vector_search_workload.hpp"

namespace aistor {
namespace {

// This process's resident set now (bytes), from /proc/self/status; 0 when unreadable.
std::uint64_t resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      std::uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double ratio(double a, double b) {
  return b > 0 ? a / b : 0.0;
}

}  // namespace

nlohmann::json VectorSearchWorkload::summarize() const {
  const std::scoped_lock lock(mutex_);
  const VsTallies& t = tallies_;
  const double wall = static_cast<double>(wall_ns_) / 1e9;
  const auto q = static_cast<double>(t.queries);
  const auto& h = index_->header();
  nlohmann::json latency{{"count", t.latency.count()}};
  if (t.latency.count() != 0) {
    latency = {{"count", t.latency.count()},      {"mean", t.latency.mean()},
               {"p50", t.latency.quantile(0.50)}, {"p95", t.latency.quantile(0.95)},
               {"p99", t.latency.quantile(0.99)}, {"p99_9", t.latency.quantile(0.999)},
               {"max", t.latency.max()}};
  }
  nlohmann::json index = params_.index.to_json();
  index.update(built_);
  index["record_bytes"] = h.record_bytes();
  index["nodes_per_sector"] = h.nodes_per_sector();
  index["sectors_per_node"] = h.sectors_per_node();
  index["read_bytes"] = h.read_bytes();
  index["cached_nodes"] = index_->cached_nodes();
  const std::uint64_t buffers =
      std::uint64_t{params_.threads} * depth_ * h.read_bytes() + pool_.size() * sizeof(float);
  return {
      {"index", index},
      {"search",
       {{"concurrency", params_.concurrency},
        {"threads", params_.threads},
        {"beam_width", params_.beam.beam_width},
        {"search_list", params_.beam.search_list},
        {"k", params_.beam.k},
        {"reads_in_flight_per_worker", depth_}}},
      {"queries", t.queries},
      {"failed_queries", t.failed_queries},
      {"wall_s", wall},
      {"qps", ratio(q, wall)},
      {"latency", latency},
      {"hops",
       {{"mean", ratio(static_cast<double>(t.hops_total), q)},
        {"p99", t.hops.count() != 0 ? t.hops.quantile(0.99) : 0},
        {"max", t.hops.max()}}},
      {"reads_per_query", ratio(static_cast<double>(t.reads), q)},
      {"cache_hits_per_query", ratio(static_cast<double>(t.cache_hits), q)},
      {"bytes_per_query", ratio(static_cast<double>(t.bytes), q)},
      {"device",
       {{"reads", t.reads},
        {"iops", ratio(static_cast<double>(t.reads), wall)},
        {"bytes_per_s", ratio(static_cast<double>(t.bytes), wall)},
        {"mean_queue_depth",
         ratio(static_cast<double>(t.read_ns), static_cast<double>(wall_ns_))}}},
      {"io_wait_share", ratio(static_cast<double>(t.io_ns), static_cast<double>(t.latency_ns))},
      {"recall",
       {{"k", params_.beam.k},
        {"queries", t.recall_queries},
        {"at_k",
         t.recall_queries != 0
             ? nlohmann::json(ratio(
                   static_cast<double>(t.recall_hits),
                   static_cast<double>(t.recall_queries) *
                       std::min<double>(params_.beam.k, static_cast<double>(params_.index.count))))
             : nlohmann::json(nullptr)}}},
      {"memory",
       {{"index_bytes", index_->memory_bytes()},
        {"buffers_bytes", buffers},
        {"asked_bytes", index_->memory_bytes() + buffers},
        {"rss_bytes", resident_bytes()}}}};
}

}  // namespace aistor
