#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/config_node.hpp"
#include "core/units.hpp"
#include "workloads/kv_cache/kv_cache_workload.hpp"

namespace aistor {
namespace {

// "tiers": {"gpu": size, "host": size, "storage": size or "unlimited"}.
std::array<std::uint64_t, kKvTiers> parse_tiers(ConfigNode& phase, const KvCacheParams& p) {
  std::array<std::uint64_t, kKvTiers> b{0, 0, KvTiers::kUnlimited};
  if (!phase.has("tiers")) return b;
  ConfigNode n = phase.object("tiers");
  b[0] = n.size("gpu", 0);
  b[1] = n.size("host", 0);
  if (const auto* s = n.raw("storage"); s != nullptr && !(s->is_string() && *s == "unlimited"))
    b[2] = n.size("storage", std::nullopt);
  // The smallest entry a tier must hold: a block, or the smallest request entry.
  const std::uint64_t smallest =
      (p.block_tokens != 0 ? p.block_tokens : 1) * p.model.bytes_per_token();
  for (std::size_t t = 0; t < kKvTiers; ++t) {
    const char* name = to_string(static_cast<KvTier>(t));
    if (b[t] != 0 && b[t] != KvTiers::kUnlimited &&
        static_cast<double>(smallest) > 0.95 * static_cast<double>(b[t])) {
      n.fail(name, fmt::format("{} cannot hold one {}-byte entry (an entry may use 95 % of a "
                               "tier); 0 skips the tier",
                               short_size(b[t]), smallest));
    }
  }
  if (b[0] == 0 && b[1] == 0 && b[2] == 0)
    n.fail("storage", "every tier's budget is 0: nothing could be cached");
  n.finish();
  return b;
}

void parse_storage(ConfigNode& phase, KvCacheParams& p) {
  p.layout = phase.choice("layout", "file_per_entry", {"file_per_entry", "slab"}) == "slab"
                 ? KvLayout::slab
                 : KvLayout::file_per_entry;
  p.slabs = static_cast<unsigned>(phase.integer("slabs", 0, 0, 4096));
  const std::string sync = phase.choice("sync", "each", {"each", "batch", "none"});
  p.sync = sync == "each" ? KvSync::each : sync == "batch" ? KvSync::batch : KvSync::none;
  p.sync_batch = static_cast<unsigned>(phase.integer("sync_batch", 8, 1, 1 << 20));
  p.cold_reads = phase.choice("cold_reads", "fadvise", {"fadvise", "none"}) == "fadvise";
  p.request_size = static_cast<std::uint32_t>(phase.size("request_size", 4u << 20, 4096, 1u << 30));
  if (p.layout == KvLayout::slab) {
    if (p.block_tokens == 0)
      phase.fail("layout", "slab needs fixed-size entries: set block_tokens (16, 256, ...)");
    if (p.budgets[2] == KvTiers::kUnlimited)
      phase.fail("layout", "slab preallocates its files: give tiers.storage a size");
  }
}

// Each worker holds at least a request's buffer, and the host tier its budget: refused when that
// is more than this machine's memory (it would be killed, not measured).
void check_memory(ConfigNode& phase, const KvCacheParams& p) {
  const auto ram = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                   static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  if (p.budgets[1] > ram) {
    phase.fail("tiers", fmt::format("a host tier of {} is more than this machine's {}",
                                    short_size(p.budgets[1]), short_size(ram)));
  }
  const std::uint64_t buffers = std::uint64_t{p.workers()} * p.request_size * 2;
  if (p.budgets[1] + buffers > ram) {
    phase.fail("threads", fmt::format("{} workers x 2 x request_size {} (and the host tier) are "
                                      "more than this machine's {}",
                                      p.workers(), short_size(p.request_size), short_size(ram)));
  }
}

}  // namespace

KvCacheParams KvCacheWorkload::parse(ConfigNode& phase) {
  KvCacheParams p;
  p.model = KvModel::parse(phase);
  if (const auto* b = phase.raw("block_tokens");
      b == nullptr || (b->is_string() && *b == "request")) {
    p.block_tokens = 0;
  } else {
    p.block_tokens = static_cast<std::uint32_t>(phase.integer("block_tokens", 0, 1, 1 << 20));
  }
  p.users = static_cast<unsigned>(phase.integer("users", 1, 1, 16384));
  p.threads = static_cast<unsigned>(
      phase.integer("threads", std::min(p.users, kMaxKvThreads), 1, kMaxKvThreads));
  if (p.threads > p.users) phase.fail("threads", "more threads than users would leave some idle");
  if (phase.has("rate")) p.rate = phase.number("rate", std::nullopt, 1e-6, 1e9);
  p.duration_ns = phase.duration_ns("duration", 0);
  p.requests = static_cast<std::uint64_t>(phase.integer("requests", 0, 0));
  if (p.duration_ns == 0 && p.requests == 0)
    phase.fail("duration", "give a duration, a number of requests, or both");
  p.context = KvLengths::parse(phase, "context", 1024, 1);
  p.generate = KvLengths::parse(phase, "generate_tokens", 0, 0);
  p.system_prompt_tokens =
      static_cast<std::uint32_t>(phase.integer("system_prompt_tokens", 0, 0, kMaxKvTokens));
  p.turns = static_cast<unsigned>(phase.integer("turns", 4, 1, 1 << 20));
  p.decode = ComputeTime::parse(phase, "decode");
  p.decode_reads_every =
      static_cast<std::uint32_t>(phase.integer("decode_reads_every", 0, 0, kMaxKvTokens));
  p.budgets = parse_tiers(phase, p);
  parse_storage(phase, p);
  p.verify = phase.boolean("verify", false);
  p.seed = static_cast<std::uint64_t>(phase.integer("seed", 1, 0));
  p.name = phase.string("kv_dir", p.name);
  if (p.name.empty() || p.name.find("..") != std::string::npos || p.name.front() == '/')
    phase.fail("kv_dir", "a directory name under the phase's directory");
  check_memory(phase, p);
  // The largest entry must fit the request that says how big an entry's offsets may be.
  const std::uint64_t largest_tokens =
      p.block_tokens != 0 ? p.block_tokens
                          : std::max<std::uint64_t>(p.context.max_tokens(), p.system_prompt_tokens);
  if (largest_tokens * p.model.bytes_per_token() >= (std::uint64_t{1} << 40))
    phase.fail("context", "an entry of 1 TiB or more");
  return p;
}

}  // namespace aistor
