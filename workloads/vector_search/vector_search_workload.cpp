#include "workloads/vector_search/vector_search_workload.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "workloads/formats/vector_index_build.hpp"
#include "workloads/vector_search/query_source.hpp"

namespace aistor {

VectorSearchWorkload::VectorSearchWorkload(VectorSearchParams params)
    : params_(std::move(params)) {}

VectorSearchWorkload::~VectorSearchWorkload() = default;

std::vector<std::filesystem::path> VectorSearchWorkload::prepare(const PhaseEnv& env) {
  dir_ = env.dir / params_.index_dir;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const auto built = formats::build_index(params_.index, dir_, threads, env.stop);
  built_ = {{"dir", dir_.string()},
            {"reused", built.reused},
            {"build_seconds", built.seconds},
            {"graph_bytes", built.graph_bytes},
            {"pq_bytes", built.pq_bytes}};
  index_ = std::make_unique<SearchIndex>(dir_, params_.cache_nodes);
  const std::uint32_t dim = params_.index.dim;
  const formats::VectorSource source(params_.index);
  pool_.resize(std::size_t{params_.query_pool} * dim);
  for (std::uint32_t q = 0; q < params_.query_pool; ++q)
    source.query(q, std::span<float>(&pool_[std::size_t{q} * dim], dim));
  ground_truth(env.stop);
  return {index_->graph_file()};
}

// The exact k nearest of the scored queries, by brute force over every vector (untimed).
void VectorSearchWorkload::ground_truth(const std::atomic<bool>* stop) {
  const auto& s = params_.index;
  if (params_.recall_queries == 0) return;
  const std::vector<float> all = formats::VectorSource(s).all(stop);
  truth_.resize(params_.recall_queries);
  std::atomic<std::uint32_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
    pool.emplace_back([&] {
      for (std::uint32_t q = next++; q < params_.recall_queries; q = next++) {
        if (stop != nullptr && stop->load(std::memory_order_relaxed)) return;
        truth_[q] = formats::exact_neighbours(
            s, all, std::span<const float>(&pool_[std::size_t{q} * s.dim], s.dim), params_.beam.k);
      }
    });
  }
  for (auto& t : pool)
    t.join();
  if (stop != nullptr && stop->load()) throw InputError("interrupted while computing ground truth");
}

void VectorSearchWorkload::run(WorkerContext& ctx) {
  const unsigned slots = params_.slots_of(ctx.index);
  const unsigned depth = static_cast<unsigned>(std::min<std::size_t>(
      ctx.engine.max_in_flight(), std::size_t{slots} * params_.beam.beam_width));
  VsTallies mine;
  QueryPlan plan;
  plan.index = index_.get();
  plan.beam = params_.beam;
  plan.file = ctx.engine.open(index_->graph_file(), Access::read);
  plan.queries = &pool_;
  plan.pool = params_.query_pool;
  plan.ground_truth = &truth_;
  plan.issued = &issued_;
  plan.limit = params_.queries;
  Pump pump(ctx.engine, depth, index_->header().read_bytes(), ctx.recorder, ctx.stop, ctx.progress);
  QuerySource source(plan, slots, mine);
  PumpLimits limits;
  limits.deadline_ns = params_.duration_ns != 0 ? ctx.start_ns + params_.duration_ns : 0;
  limits.stop_on_error = ctx.stop_on_error;
  source.begin();
  ctx.outcome = pump.run(source, limits);
  const std::uint64_t end = now_ns();
  ctx.engine.close(plan.file);
  const std::scoped_lock lock(mutex_);
  tallies_.merge(mine);
  wall_ns_ = std::max(wall_ns_, end - ctx.start_ns);
  depth_ = std::max(depth_, depth);
}

WorkloadInfo vector_search_workload_info() {
  return {"vector-search",
          "DiskANN-style vector search on SSD: queries walk an on-disk graph index in dependent "
          "hops of a few sector reads each; QPS, latency percentiles, recall",
          [](ConfigNode& phase) -> std::unique_ptr<Workload> {
            return std::make_unique<VectorSearchWorkload>(VectorSearchWorkload::parse(phase));
          }};
}

}  // namespace aistor
