#include <fmt/format.h>

#include "core/config_node.hpp"
#include "workloads/vector_search/vector_search_workload.hpp"

namespace aistor {

VectorSearchParams VectorSearchWorkload::parse(ConfigNode& phase) {
  VectorSearchParams p;
  if (phase.has("index")) {
    ConfigNode n = phase.object("index");
    p.index = formats::IndexSpec::parse(n);
  } else {
    nlohmann::json empty = nlohmann::json::object();
    ConfigNode n(empty, phase.key_path("index"));
    p.index = formats::IndexSpec::parse(n);
  }
  p.index_dir = phase.string("index_dir", p.index_dir);
  if (p.index_dir.empty() || p.index_dir.find("..") != std::string::npos ||
      p.index_dir.front() == '/')
    phase.fail("index_dir", "a directory name under the phase's directory");
  p.concurrency = static_cast<unsigned>(phase.integer("concurrency", 1, 1, 65536));
  p.threads = static_cast<unsigned>(
      phase.integer("threads", std::min(p.concurrency, kMaxSearchThreads), 1, kMaxSearchThreads));
  if (p.threads > p.concurrency)
    phase.fail("threads", fmt::format("{} threads for {} queries in flight would leave some idle",
                                      p.threads, p.concurrency));
  p.beam.search_list = static_cast<std::uint32_t>(phase.integer("search_list", 64, 1, 65536));
  p.beam.beam_width = static_cast<std::uint32_t>(phase.integer("beam_width", 4, 1, 256));
  p.beam.k = static_cast<std::uint32_t>(phase.integer("k", 10, 1, 65536));
  if (p.beam.beam_width > p.beam.search_list) {
    phase.fail("beam_width", fmt::format("{} is wider than search_list {}: a hop expands at most "
                                         "the list",
                                         p.beam.beam_width, p.beam.search_list));
  }
  if (p.beam.k > p.beam.search_list) {
    phase.fail("k", fmt::format("{} results from a search_list of {}: k must be at most the list",
                                p.beam.k, p.beam.search_list));
  }
  if (p.beam.k > p.index.count)
    phase.fail("k", fmt::format("{} results from {} vectors", p.beam.k, p.index.count));
  p.cache_nodes = static_cast<std::uint64_t>(phase.integer("cache_nodes", 0, 0));
  if (p.cache_nodes > p.index.count)
    phase.fail("cache_nodes", fmt::format("{} cached of {} nodes", p.cache_nodes, p.index.count));
  p.duration_ns = phase.duration_ns("duration", 0);
  p.queries = static_cast<std::uint64_t>(phase.integer("queries", 0, 0));
  if (p.duration_ns == 0 && p.queries == 0)
    phase.fail("duration", "give a duration, a number of queries, or both");
  p.query_pool = static_cast<std::uint32_t>(phase.integer("query_pool", 1000, 1, 1 << 24));
  p.recall_queries = static_cast<std::uint32_t>(
      phase.integer("recall_queries", std::min<std::uint32_t>(100, p.query_pool), 0, 100000));
  if (p.recall_queries > p.query_pool) {
    phase.fail("recall_queries",
               fmt::format("{} scored queries from a pool of {}", p.recall_queries, p.query_pool));
  }
  return p;
}

}  // namespace aistor
