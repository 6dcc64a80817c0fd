#include "engines/pump.hpp"

#include <algorithm>
#include <cstring>

#include "core/clock.hpp"

namespace aistor {
namespace {

struct Slot {
  IoRequest request;
  std::uint64_t submit_ns = 0;
  bool measured = false;  // planned after the ramp: counts toward limits and is recorded
};

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

void fill_random(std::byte* data, std::size_t bytes, std::uint64_t seed) noexcept {
  // splitmix64 seeds xoshiro256**.
  std::uint64_t s[4];
  for (auto& v : s) {
    seed += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    v = z ^ (z >> 31);
  }
  std::size_t i = 0;
  while (i < bytes) {
    std::uint64_t out = rotl(s[1] * 5, 7) * 9;
    std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    std::size_t n = std::min<std::size_t>(8, bytes - i);
    std::memcpy(data + i, &out, n);
    i += n;
  }
}

Pump::Pump(Engine& engine, unsigned queue_depth, std::size_t buffer_bytes, Recorder& recorder,
           const std::atomic<bool>& stop, ProgressCounters* progress)
    : engine_(engine),
      recorder_(recorder),
      stop_(stop),
      progress_(progress),
      depth_(static_cast<unsigned>(
          std::clamp<std::size_t>(engine.max_in_flight(), 1, std::max(queue_depth, 1u)))) {
  buffers_.reserve(depth_);
  for (unsigned i = 0; i < depth_; ++i) {
    buffers_.push_back(engine_.allocate(buffer_bytes));
    fill_random(buffers_.back().data(), buffers_.back().size(), 0xa157a + i);
  }
}

PumpOutcome Pump::run(RequestSource& source, const PumpLimits& limits) {
  PumpOutcome outcome;
  std::vector<Slot> slots(depth_);
  std::vector<unsigned> free_slots(depth_);
  for (unsigned i = 0; i < depth_; ++i)
    free_slots[i] = depth_ - 1 - i;
  std::vector<IoRequest> batch;
  batch.reserve(depth_);
  std::vector<IoResult> results(depth_);
  std::uint64_t planned_bytes = 0;
  std::uint64_t planned_ops = 0;
  bool stopping = false;
  std::size_t in_flight = 0;

  for (;;) {
    batch.clear();
    std::uint64_t now = now_ns();
    while (!stopping && !free_slots.empty()) {
      if (stop_.load(std::memory_order_relaxed)) {
        outcome.end = PumpEnd::interrupted;
        stopping = true;
        break;
      }
      if (limits.deadline_ns != 0 && now >= limits.deadline_ns) {
        outcome.end = PumpEnd::deadline;
        stopping = true;
        break;
      }
      if (planned_bytes >= limits.bytes || planned_ops >= limits.ops) {
        outcome.end = PumpEnd::limit;
        stopping = true;
        break;
      }
      unsigned slot = free_slots.back();
      IoRequest r;
      if (!source.next(r)) {
        stopping = true;
        break;
      }
      free_slots.pop_back();
      if (now >= limits.ramp_end_ns && limits.bytes - planned_bytes < r.length) {
        // The last request is trimmed so a byte limit is met exactly, never overshot.
        r.length = static_cast<std::uint32_t>(limits.bytes - planned_bytes);
      }
      r.buf = buffers_[slot].data();
      r.tag = slot;
      slots[slot].request = r;
      // Ramp membership is decided here, once, so what counts toward the limits is exactly
      // what gets recorded.
      slots[slot].measured = now >= limits.ramp_end_ns;
      if (slots[slot].measured) {
        planned_bytes += r.length;
        ++planned_ops;
        recorder_.issue(r.op == Op::read ? Direction::read : Direction::write, r.file, r.offset,
                        r.length);
      }
      batch.push_back(r);
    }
    if (!batch.empty()) {
      // Stamp just before handing over, so the time spent building the batch is not latency.
      now = now_ns();
      for (const auto& r : batch)
        slots[r.tag].submit_ns = now;
      engine_.submit(batch);
      in_flight += batch.size();
    }
    if (in_flight == 0) break;
    std::size_t n = engine_.reap(results, 1);
    for (std::size_t i = 0; i < n; ++i) {
      const IoResult& done = results[i];
      auto slot = static_cast<unsigned>(done.tag);
      const Slot& s = slots[slot];
      --in_flight;
      free_slots.push_back(slot);
      if (!s.measured) {
        ++outcome.ramp_ops;
        continue;
      }
      const IoRequest& r = s.request;
      recorder_.record(r.op == Op::read ? Direction::read : Direction::write, r.file, r.offset,
                       r.length, done.res, s.submit_ns, done.done_ns);
      if (done.res != static_cast<std::int64_t>(r.length) && limits.stop_on_error && !stopping) {
        outcome.end = PumpEnd::error;
        stopping = true;
      }
      if (progress_ != nullptr && done.res > 0) {
        // One writer per counter: a plain load and store, no locked instruction on the hot path.
        auto& b = progress_->bytes;
        auto& o = progress_->ops;
        b.store(b.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(done.res),
                std::memory_order_relaxed);
        o.store(o.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      }
    }
  }
  return outcome;
}

}  // namespace aistor
