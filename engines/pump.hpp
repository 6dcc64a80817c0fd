#pragma once
// The one loop every workload drives: keeps up to queue_depth requests in flight on an engine,
// stamps each op's submission and completion (steady clock, ns), feeds the recorder, and stops at
// the limits, the deadline, the first error (when asked) or the stop flag.
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/recorder.hpp"
#include "engines/engine.hpp"

namespace aistor {

// Where requests come from. next() fills op, file, offset and length; false when there are no more.
// It may also set `tag`: the pump keeps it and hands the request back, with its buffer, to
// completed() when the request is done (ramp requests included), `res` as the engine returned it.
// It may set `buf` too, to memory of its own from the same engine's allocate() (a checkpoint's
// state in GPU memory): the pump then uses that instead of one of its buffers.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  [[nodiscard]] virtual bool next(IoRequest& request) = 0;
  // Called with the request's buffer assigned, just before it is submitted: a write's source may
  // stamp its bytes here (a header saying what the block is, for later verification).
  virtual void stamp(IoRequest& /*request*/) {}
  virtual void completed(const IoRequest& /*request*/, std::int64_t /*res*/) {}
  // Whether a false from next() means "none now": more come once requests in flight complete (a
  // search whose next reads depend on what the last ones returned). The pump then reaps and asks
  // again; with nothing in flight, false from next() ends the run as always.
  [[nodiscard]] virtual bool waiting() const { return false; }
  // With waiting(), after next() said none now: the steady time (ns) at which the next request is
  // due, when it is early (a replay at a trace's times); 0 when none comes before a request in
  // flight completes. The pump then reaps what completes meanwhile (stamping each completion as
  // it comes), sleeps when nothing is in flight, and asks again at that time.
  [[nodiscard]] virtual std::uint64_t due_ns() const { return 0; }
};

struct PumpLimits {
  std::uint64_t bytes =
      UINT64_MAX;  // recorded bytes (after ramp) after which no more are submitted
  std::uint64_t ops = UINT64_MAX;
  std::uint64_t deadline_ns = 0;  // absolute steady time; 0: none
  std::uint64_t ramp_end_ns = 0;  // ops submitted before it run but are not recorded
  bool stop_on_error = true;
};

// Live counters for a progress line, written by one worker with relaxed atomics, read by anyone.
struct alignas(64) ProgressCounters {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> ops{0};
};

enum class PumpEnd : std::uint8_t { done, limit, deadline, error, interrupted };

struct PumpOutcome {
  PumpEnd end = PumpEnd::done;
  std::uint64_t ramp_ops = 0;  // ops that completed inside the ramp
};

// The buffers a Pump hands its requests: queue_depth of them (capped by the engine's
// max_in_flight()), `buffer_bytes` each, from the engine's allocate(), filled with pseudo-random
// bytes so writes carry incompressible data: each buffer its own bytes, or, with `content_seed`,
// every buffer fill_random(content_seed) (so what a write carries is known). A workload that makes
// them in before_start() and lends them to its Pump keeps their allocation (cudaMalloc and an
// upload, for a GPU engine) and first touch out of the timed phase.
class PumpBuffers {
 public:
  PumpBuffers(Engine& engine, unsigned queue_depth, std::size_t buffer_bytes,
              std::optional<std::uint64_t> content_seed = std::nullopt);

  [[nodiscard]] const Engine& engine() const noexcept { return *engine_; }
  [[nodiscard]] unsigned depth() const noexcept { return depth_; }
  [[nodiscard]] const std::vector<Buffer>& buffers() const noexcept { return buffers_; }

 private:
  const Engine* engine_;
  unsigned depth_;
  std::vector<Buffer> buffers_;
};

class Pump {
 public:
  // Makes its own PumpBuffers(engine, queue_depth, buffer_bytes, content_seed). `progress` (may
  // be null) is bumped per completion. With `buffer_bytes` 0 the pump allocates nothing: every
  // request's source sets its buffer.
  Pump(Engine& engine, unsigned queue_depth, std::size_t buffer_bytes, Recorder& recorder,
       const std::atomic<bool>& stop, ProgressCounters* progress = nullptr,
       std::optional<std::uint64_t> content_seed = std::nullopt);
  // Uses `buffers`, made beforehand from the same engine; they must outlive the pump.
  // Throws std::logic_error when they come from another engine.
  Pump(Engine& engine, const PumpBuffers& buffers, Recorder& recorder,
       const std::atomic<bool>& stop, ProgressCounters* progress = nullptr);

  [[nodiscard]] unsigned depth() const noexcept { return buffers_->depth(); }
  [[nodiscard]] PumpOutcome run(RequestSource& source, const PumpLimits& limits);

 private:
  Engine& engine_;
  Recorder& recorder_;
  const std::atomic<bool>& stop_;
  ProgressCounters* progress_;
  std::optional<PumpBuffers> own_;
  const PumpBuffers* buffers_;
};

}  // namespace aistor
