#include "workloads/kv_cache/kv_cache_workload.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "workloads/kv_cache/kv_worker.hpp"

namespace aistor {

KvCacheWorkload::KvCacheWorkload(KvCacheParams params) : params_(std::move(params)) {}

KvCacheWorkload::~KvCacheWorkload() = default;

std::vector<std::filesystem::path> KvCacheWorkload::prepare(const PhaseEnv& env) {
  rank_ = env.rank;
  dir_ = env.dir / params_.name;
  if (env.ranks > 1) dir_ /= fmt::format("rank-{}", env.rank);
  const unsigned slabs = params_.slabs != 0 ? params_.slabs : params_.workers();
  std::uint64_t slot_bytes = 0;
  std::uint64_t slots = 0;
  auto budgets = params_.budgets;
  if (params_.layout == KvLayout::slab) {
    // Slots a 4 KiB multiple (O_DIRECT); the storage tier's budget is what the slots hold.
    slot_bytes = (params_.block_bytes() + 4095) / 4096 * 4096;
    slots = budgets[2] / slot_bytes;
    if (slots == 0) {
      throw InputError(
          fmt::format("tiers.storage: {} bytes hold no {}-byte slot", budgets[2], slot_bytes));
    }
    budgets[2] = slots * params_.block_bytes();
  }
  KvStore store(params_.layout, dir_, slot_bytes, slots, slabs);
  store.prepare();
  cache_ = std::make_unique<KvCache>(budgets, std::move(store));
  // The cache starts empty: the cache policy has nothing of it to evict or warm.
  return {};
}

void KvCacheWorkload::before_start(WorkerContext& ctx) {
  // Fixed-size entries only: whole-request entries vary in size, and get memory as they come.
  if (params_.budgets[1] == 0 || params_.block_tokens == 0) return;
  const std::uint64_t slot = (params_.block_bytes() + 4095) / 4096 * 4096;
  const std::uint64_t slots = params_.budgets[1] / params_.block_bytes();
  const unsigned workers = params_.workers();
  const std::uint64_t mine = slots / workers + (ctx.index < slots % workers ? 1 : 0);
  if (mine == 0) return;
  cache_->pool(ctx.engine.allocate_host(mine * slot), slot);
  pooled_bytes_ += mine * slot;
}

void KvCacheWorkload::run(WorkerContext& ctx) {
  KvTallies mine;
  std::exception_ptr error;
  try {
    KvWorker worker(params_, *cache_, started_, ctx, rank_);
    worker.run();
    mine = std::move(worker.tallies());
  } catch (...) {
    error = std::current_exception();
  }
  const std::uint64_t end = now_ns();
  {
    const std::scoped_lock lock(mutex_);
    tallies_.merge(mine);
    wall_ns_ = std::max(wall_ns_, end - ctx.start_ns);
    for (std::size_t t = 0; t < kKvTiers; ++t)
      peak_used_[t] = cache_->peak(static_cast<KvTier>(t));
  }
  // The last worker out removes the cache's entries (files, memory): they are this phase's.
  if (++finished_ == params_.workers()) {
    try {
      cache_->clear();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

void KvCacheWorkload::check(const PhaseEnv& /*env*/) {
  if (tallies_.mismatches != 0) {
    throw InputError(
        fmt::format("verify: {} of {} chunks read back from {} were not what was "
                    "written",
                    tallies_.mismatches, tallies_.mismatches + tallies_.verified, dir_.string()));
  }
}

WorkloadInfo kv_cache_workload_info() {
  WorkloadInfo info{
      "kv-cache",
      "KV-cache offload of LLM serving: users' requests load cached prefixes from GPU, host and "
      "storage tiers and write new KV blocks down an LRU waterfall",
      [](ConfigNode& phase) -> std::unique_ptr<Workload> {
        return std::make_unique<KvCacheWorkload>(KvCacheWorkload::parse(phase));
      }};
  info.over_ranks = true;
  info.device_memory = true;  // blocks land in and are written from GPU memory
  return info;
}

}  // namespace aistor
