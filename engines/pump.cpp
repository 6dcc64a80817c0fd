#include "engines/pump.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <time.h>

#include "core/clock.hpp"
#include "core/random_bytes.hpp"

namespace aistor {
namespace {

struct Slot {
  IoRequest request;
  std::uint64_t source_tag = 0;  // the source's own tag, restored for completed()
  std::uint64_t submit_ns = 0;
  std::uint64_t issued = 0;  // the measured op's place in issue order
  bool measured = false;     // planned after the ramp: counts toward limits and is recorded
};

}  // namespace

PumpBuffers::PumpBuffers(Engine& engine, unsigned queue_depth, std::size_t buffer_bytes,
                         std::optional<std::uint64_t> content_seed)
    : engine_(&engine),
      depth_(static_cast<unsigned>(
          std::clamp<std::size_t>(engine.max_in_flight(), 1, std::max(queue_depth, 1u)))) {
  if (buffer_bytes == 0) return;
  buffers_.reserve(depth_);
  std::vector<std::byte> staged(engine.device_memory() ? buffer_bytes : 0);
  for (unsigned i = 0; i < depth_; ++i) {
    buffers_.push_back(engine.allocate(buffer_bytes));
    const std::uint64_t seed = content_seed ? *content_seed : 0xa157a + i;
    if (engine.device_memory()) {
      fill_random(staged.data(), staged.size(), seed);
      engine.upload(buffers_.back().data(), staged);
    } else {
      fill_random(buffers_.back().data(), buffers_.back().size(), seed);
    }
  }
}

Pump::Pump(Engine& engine, unsigned queue_depth, std::size_t buffer_bytes, Recorder& recorder,
           const std::atomic<bool>& stop, ProgressCounters* progress,
           std::optional<std::uint64_t> content_seed)
    : engine_(engine),
      recorder_(recorder),
      stop_(stop),
      progress_(progress),
      own_(std::in_place, engine, queue_depth, buffer_bytes, content_seed),
      buffers_(&*own_) {}

Pump::Pump(Engine& engine, const PumpBuffers& buffers, Recorder& recorder,
           const std::atomic<bool>& stop, ProgressCounters* progress)
    : engine_(engine), recorder_(recorder), stop_(stop), progress_(progress), buffers_(&buffers) {
  if (&buffers.engine() != &engine)
    throw std::logic_error("Pump: buffers made from another engine");
}

namespace {

// The state of one Pump::run: slots, what is planned and in flight, and why it ends.
class PumpRun {
 public:
  PumpRun(unsigned depth, const std::vector<Buffer>& buffers, Recorder& recorder,
          const PumpLimits& limits)
      : buffers_(buffers), recorder_(recorder), limits_(limits), slots_(depth), results_(depth) {
    for (unsigned i = depth; i > 0; --i)
      free_.push_back(i - 1);
    batch_.reserve(depth);
  }

  // Takes requests from the source into free slots until a limit, the deadline, the stop flag
  // or the source's end says stop. The batch is left in batch().
  void fill(RequestSource& source, const std::atomic<bool>& stop) {
    source_ = &source;
    batch_.clear();
    due_ = 0;
    std::uint64_t now = now_ns();
    while (!stopping_ && !free_.empty()) {
      if (stop.load(std::memory_order_relaxed)) {
        end(PumpEnd::interrupted);
      } else if (limits_.deadline_ns != 0 && now >= limits_.deadline_ns) {
        end(PumpEnd::deadline);
      } else if (planned_bytes_ >= limits_.bytes || planned_ops_ >= limits_.ops) {
        end(PumpEnd::limit);
      } else {
        IoRequest r;
        if (!source.next(r)) {
          if (source.waiting()) {
            due_ = source.due_ns();
            if (due_ != 0 || in_flight_ > 0 || !batch_.empty()) break;
          }
          end(PumpEnd::done);
        } else {
          plan(r, now);
        }
      }
    }
  }

  // Stamps the batch just before it is handed over, so building it is not latency.
  void submit(Engine& engine) {
    if (batch_.empty()) return;
    std::uint64_t now = now_ns();
    for (const auto& r : batch_)
      slots_[r.tag].submit_ns = now;
    engine.submit(batch_);
    in_flight_ += batch_.size();
  }

  [[nodiscard]] bool idle() const { return in_flight_ == 0; }
  // When the source's next request is due (0: when a completion comes).
  [[nodiscard]] std::uint64_t due() const { return stopping_ ? 0 : due_; }

  // Waits for at least one completion and records what came back.
  void complete(Engine& engine, RequestSource& source, ProgressCounters* progress) {
    record(engine.reap(results_, 1), source, progress);
  }

  // Until the due time (or the deadline, or the stop flag): completions reaped as they come, a
  // sleep when nothing is in flight, the last stretch spun so the request leaves on time.
  void wait_for_due(Engine& engine, RequestSource& source, ProgressCounters* progress,
                    const std::atomic<bool>& stop) {
    constexpr std::uint64_t kSpinNs = 200'000;    // the timer's slack, and then some
    constexpr std::uint64_t kNapNs = 20'000'000;  // how often a long sleep looks at `stop`
    const std::uint64_t until =
        limits_.deadline_ns != 0 ? std::min(due_, limits_.deadline_ns) : due_;
    for (std::uint64_t now = now_ns(); now < until && !stop.load(std::memory_order_relaxed);
         now = now_ns()) {
      if (in_flight_ > 0) {
        record(engine.reap(results_, 0), source, progress);
      } else if (until - now > kSpinNs) {
        const std::uint64_t wake = std::min(until - kSpinNs, now + kNapNs);
        timespec ts{static_cast<time_t>(wake / 1'000'000'000),
                    static_cast<long>(wake % 1'000'000'000)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      }
    }
  }

 private:
  void record(std::size_t n, RequestSource& source, ProgressCounters* progress) {
    for (std::size_t i = 0; i < n; ++i) {
      const IoResult& done = results_[i];
      auto slot = static_cast<unsigned>(done.tag);
      Slot& s = slots_[slot];
      --in_flight_;
      free_.push_back(slot);
      IoRequest handed_back = s.request;
      handed_back.tag = s.source_tag;
      source.completed(handed_back, done.res);
      if (!s.measured) {
        ++outcome_.ramp_ops;
        continue;
      }
      const IoRequest& r = s.request;
      const bool short_ok = r.to_eof && done.res >= 0 && done.res < r.length;
      const auto expected = short_ok ? static_cast<std::uint32_t>(done.res) : r.length;
      recorder_.record(direction(r), r.file, r.offset, expected, done.res, s.submit_ns,
                       done.done_ns, r.length, s.issued);
      if (done.res != static_cast<std::int64_t>(expected) && limits_.stop_on_error) {
        end(PumpEnd::error);
      }
      if (progress != nullptr && done.res > 0) {
        // One writer per counter: a plain load and store, no locked instruction on the hot path.
        auto& b = progress->bytes;
        auto& o = progress->ops;
        b.store(b.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(done.res),
                std::memory_order_relaxed);
        o.store(o.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      }
    }
  }

 public:
  [[nodiscard]] const PumpOutcome& outcome() const { return outcome_; }

 private:
  static Direction direction(const IoRequest& r) {
    return r.op == Op::read ? Direction::read : Direction::write;
  }

  void end(PumpEnd why) {
    if (stopping_) return;  // the first reason to stop is the one reported
    stopping_ = true;
    outcome_.end = why;
  }

  void plan(IoRequest& r, std::uint64_t now) {
    unsigned slot = free_.back();
    free_.pop_back();
    // Ramp membership is decided here, once, so what counts toward the limits is exactly what
    // gets recorded.
    bool measured = now >= limits_.ramp_end_ns;
    if (measured && limits_.bytes - planned_bytes_ < r.length) {
      // The last request is trimmed so a byte limit is met exactly, never overshot.
      r.length = static_cast<std::uint32_t>(limits_.bytes - planned_bytes_);
    }
    if (r.buf == nullptr) {
      if (slot >= buffers_.size()) {
        throw std::logic_error("pump: a request without a buffer, and the pump has none");
      }
      r.buf = buffers_[slot].data();
    }
    source_->stamp(r);
    slots_[slot].source_tag = r.tag;
    r.tag = slot;
    slots_[slot].request = r;
    slots_[slot].measured = measured;
    slots_[slot].issued = planned_ops_;
    if (measured) {
      planned_bytes_ += r.length;
      ++planned_ops_;
      recorder_.issue(direction(r), r.file, r.offset, r.length);
    }
    batch_.push_back(r);
  }

  const std::vector<Buffer>& buffers_;
  RequestSource* source_ = nullptr;
  Recorder& recorder_;
  const PumpLimits& limits_;
  std::vector<Slot> slots_;
  std::vector<unsigned> free_;
  std::vector<IoRequest> batch_;
  std::vector<IoResult> results_;
  std::uint64_t planned_bytes_ = 0;
  std::uint64_t planned_ops_ = 0;
  std::size_t in_flight_ = 0;
  std::uint64_t due_ = 0;
  bool stopping_ = false;
  PumpOutcome outcome_;
};

}  // namespace

PumpOutcome Pump::run(RequestSource& source, const PumpLimits& limits) {
  PumpRun run(buffers_->depth(), buffers_->buffers(), recorder_, limits);
  for (;;) {
    run.fill(source, stop_);
    run.submit(engine_);
    if (run.due() != 0) {
      run.wait_for_due(engine_, source, progress_, stop_);
      continue;
    }
    if (run.idle()) break;
    run.complete(engine_, source, progress_);
  }
  return run.outcome();
}

}  // namespace aistor
