#include "workloads/kv_cache/kv_worker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "core/align.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "core/splitmix.hpp"
#include "core/unique_fd.hpp"
#include "workloads/common/request_alignment.hpp"

namespace aistor {
namespace {

constexpr std::uint64_t kSystem = std::uint64_t{1} << 63;
constexpr std::uint64_t kSystemEntry = kSystem | (std::uint64_t{1} << 62);
constexpr std::uint64_t kSliceNs = 20'000'000;  // sleeps wake this often to see stop and deadline

std::uint64_t conversation_key(unsigned user, std::uint64_t conversation) {
  return ((std::uint64_t{user} << 24) | (conversation & 0xffffff)) << 24;
}

}  // namespace

KvWorker::KvWorker(const KvCacheParams& params, KvCache& cache, std::atomic<std::uint64_t>& started,
                   WorkerContext& ctx, unsigned rank)
    : p_(params),
      cache_(cache),
      started_(started),
      ctx_(ctx),
      bpt_(params.model.bytes_per_token()),
      rng_(mix64(params.seed ^ (std::uint64_t{rank} << 32) ^ ctx.index)),
      pump_(ctx.engine, ctx.queue_depth, params.request_size, ctx.recorder, ctx.stop, ctx.progress,
            params.seed) {
  if (p_.duration_ns != 0) deadline_ns_ = ctx.start_ns + p_.duration_ns;
  if (p_.budgets[0] != 0 && !ctx.engine.device_memory()) {
    throw InputError(
        fmt::format("tiers.gpu: engine \"{}\" reads into host memory; a GPU tier "
                    "needs a GPU engine (gpu, gpu-pageable, gds)",
                    ctx.engine.describe().value("name", "")));
  }
  if (p_.verify && ctx.engine.device_memory()) {
    throw InputError(
        fmt::format("verify: engine \"{}\" keeps the blocks in GPU memory, where "
                    "their bytes are not stamped; verify on a host engine",
                    ctx.engine.describe().value("name", "")));
  }
  alignment_ = request_alignment(ctx.engine, cache.store().marker());
  if (p_.request_size % alignment_ != 0) {
    throw InputError(fmt::format("request_size {} is not a multiple of the O_DIRECT alignment {}",
                                 p_.request_size, alignment_));
  }
  // What stamped writes carry, for checks and for host-tier entries' bytes (host engines).
  if (p_.verify || (p_.budgets[1] != 0 && !ctx.engine.device_memory())) {
    reference_.resize(p_.request_size);
    fill_random(reference_.data(), reference_.size(), p_.seed);
  }
  if (p_.budgets[1] != 0 || p_.budgets[0] != 0) {
    std::uint64_t landing = p_.request_size;
    if (ctx.engine.device_memory()) {
      const std::uint64_t entry = p_.block_tokens != 0 ? p_.block_bytes() : 64u << 20;
      landing = std::clamp<std::uint64_t>(entry, p_.request_size, 64u << 20);
    }
    landing_ = ctx.engine.allocate(landing);
  }
  for (const auto& path : cache.store().slab_paths()) {
    slab_files_.emplace_back(ctx.engine, path, Access::read_write);
    slabs_.push_back(slab_files_.back().id());
    ctx.recorder.name_file(slabs_.back(), path.string());
  }
  const unsigned workers = p_.workers();
  for (unsigned u = ctx.index; u < p_.users; u += workers) {
    User user;
    user.index = u;
    user.rng = KvRng(p_.seed * 1000003 + u + (std::uint64_t{rank} << 40));
    user.state = p_.context.user_state(user.rng);
    if (p_.rate > 0) {
      const double per_user = p_.rate / p_.users;
      user.arrival_ns =
          ctx.start_ns + static_cast<std::uint64_t>(
                             std::exponential_distribution<double>(per_user)(user.rng) * 1e9);
    }
    users_.push_back(std::move(user));
  }
}

bool KvWorker::past_deadline() const {
  return deadline_ns_ != 0 && now_ns() >= deadline_ns_;
}

void KvWorker::run() {
  while (!users_.empty() && !ctx_.stop.load(std::memory_order_relaxed) && !past_deadline() &&
         !failed_) {
    if (p_.requests != 0 && started_.fetch_add(1) >= p_.requests) break;
    User* u = next_user();
    if (u == nullptr || !request(*u)) break;
  }
  if (!unsynced_.empty() && !failed_) {
    for (auto& f : unsynced_)
      ctx_.engine.sync(f.id());
    unsynced_.clear();
  }
}

KvWorker::User* KvWorker::next_user() {
  if (p_.rate <= 0) return &users_[turn_robin_++ % users_.size()];
  User* u = &*std::min_element(users_.begin(), users_.end(), [](const User& a, const User& b) {
    return a.arrival_ns < b.arrival_ns;
  });
  for (std::uint64_t now = now_ns(); now < u->arrival_ns; now = now_ns()) {
    if (ctx_.stop.load(std::memory_order_relaxed) ||
        (deadline_ns_ != 0 && u->arrival_ns >= deadline_ns_)) {
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(u->arrival_ns - now, kSliceNs)));
  }
  return u;
}

bool KvWorker::request(User& u) {
  if (u.turn >= p_.turns) {
    ++u.conversation;
    u.turn = 0;
    u.history = 0;
    u.previous.reset();
  }
  const std::uint32_t context = p_.context.draw(u.rng, u.state);
  const std::uint32_t generate = p_.generate.draw(u.rng, 0);
  const std::uint64_t start = now_ns();
  const std::uint64_t arrival = p_.rate > 0 ? u.arrival_ns : start;
  StepTimes st;
  std::uint64_t prefix_ns = 0;
  const bool ok = p_.block_tokens != 0 ? request_blocks(u, context, generate, st, prefix_ns)
                                       : request_entries(u, context, generate, st, prefix_ns);
  if (!ok) return false;
  const std::uint64_t end = now_ns();
  ++t_.requests;
  t_.context_tokens += context;
  t_.generated_tokens += generate;
  t_.prefix_ns.record(prefix_ns);
  t_.storage_ns.record(st.read[2] + st.write[2]);
  t_.request_ns.record(end - arrival);
  if (p_.rate > 0) {
    t_.queue_ns.record(start > arrival ? start - arrival : 0);
    u.arrival_ns += static_cast<std::uint64_t>(
        std::exponential_distribution<double>(p_.rate / p_.users)(u.rng) * 1e9);
  }
  for (std::size_t t = 1; t < kKvTiers; ++t) {
    if (st.read[t] != 0) t_.tiers[t].read_ns.record(st.read[t]);
    if (st.write[t] != 0) t_.tiers[t].write_ns.record(st.write[t]);
  }
  ++u.turn;
  return true;
}

// MLPerf's shape: the system prompt's and the previous turn's entries read back, the request's
// whole context written as one entry, and re-read every `decode_reads_every` generated tokens.
bool KvWorker::request_entries(User& u, std::uint32_t context, std::uint32_t generate,
                               StepTimes& st, std::uint64_t& prefix_ns) {
  const std::uint64_t t0 = now_ns();
  std::vector<Want> prefix;
  if (p_.system_prompt_tokens != 0)
    prefix.push_back({kSystemEntry, p_.system_prompt_tokens * bpt_});
  if (u.previous) prefix.push_back({*u.previous, u.history * bpt_});
  std::vector<Want> missed;
  if (!load(prefix, st, &missed)) return false;
  prefix_ns = now_ns() - t0;
  std::vector<Want> writes;
  if (!missed.empty() && missed.front().key == kSystemEntry) writes.push_back(missed.front());
  const std::uint64_t key = conversation_key(u.index, u.conversation) | u.turn;
  writes.push_back({key, std::uint64_t{context} * bpt_});
  if (!store(writes, st)) return false;
  if (p_.decode_reads_every == 0) {
    decode(generate);
  } else {
    for (std::uint32_t done = 0; done < generate; done += p_.decode_reads_every) {
      decode(std::min(p_.decode_reads_every, generate - done));
      if (!load({{key, std::uint64_t{context} * bpt_}}, st, nullptr, false)) return false;
    }
  }
  u.previous = key;
  u.history = context;
  return true;
}

// A paged cache's shape: the sequence (system prompt + conversation) in blocks of block_tokens;
// the cached prefix's blocks read back, missed and new blocks written, generated blocks after.
bool KvWorker::request_blocks(User& u, std::uint32_t context, std::uint32_t generate, StepTimes& st,
                              std::uint64_t& prefix_ns) {
  const std::uint64_t B = p_.block_tokens;
  const std::uint64_t S = p_.system_prompt_tokens;
  const std::uint64_t bytes = B * bpt_;
  const std::uint64_t conv = conversation_key(u.index, u.conversation);
  auto key = [&](std::uint64_t i) { return i < S / B ? (kSystem | i) : (conv | i); };
  auto blocks = [&](std::uint64_t from, std::uint64_t to) {
    std::vector<Want> w;
    for (std::uint64_t i = from; i < to; ++i)
      w.push_back({key(i), bytes});
    return w;
  };
  const std::uint64_t total = S + context;
  const std::uint64_t reuse = (S + std::min<std::uint64_t>(u.history, context)) / B;
  const std::uint64_t t0 = now_ns();
  std::vector<Want> missed;
  if (!load(blocks(0, reuse), st, &missed)) return false;
  prefix_ns = now_ns() - t0;
  auto fresh = blocks(reuse, total / B);
  missed.insert(missed.end(), fresh.begin(), fresh.end());
  if (!store(missed, st)) return false;
  if (p_.decode_reads_every == 0) {
    decode(generate);
  } else {
    for (std::uint32_t done = 0; done < generate; done += p_.decode_reads_every) {
      decode(std::min(p_.decode_reads_every, generate - done));
      if (!load(blocks(0, total / B), st, nullptr, false)) return false;
    }
  }
  if (!store(blocks(total / B, (total + generate) / B), st)) return false;
  u.history = context + generate;
  return true;
}

void KvWorker::decode(std::uint64_t tokens) {
  if (p_.decode.none() || tokens == 0) return;
  std::uint64_t ns = 0;
  for (std::uint64_t i = 0; i < tokens; ++i)
    ns += p_.decode.draw(rng_);
  for (const std::uint64_t end = now_ns() + ns; !ctx_.stop.load(std::memory_order_relaxed);) {
    const std::uint64_t now = now_ns();
    if (now >= end || past_deadline()) break;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(end - now, kSliceNs)));
  }
}

}  // namespace aistor
