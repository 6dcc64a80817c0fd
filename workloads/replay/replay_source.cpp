#include "workloads/replay/replay_source.hpp"

#include "core/clock.hpp"

namespace aistor {

bool ReplaySource::next(IoRequest& r) {
  due_ns_ = 0;
  if (next_ >= ops_.size()) return false;
  const ReplayOp& o = ops_[next_];
  if (timed_) {
    const std::uint64_t due = base_ns_ + o.due_ns;
    if (now_ns() < due) {
      due_ns_ = due;
      return false;
    }
  }
  r.op = o.op == kTraceWrite ? Op::write : Op::read;
  r.file = ids_[o.file];
  r.offset = o.offset;
  r.length = o.length;
  r.to_eof = o.to_eof;
  r.tag = next_++;
  return true;
}

void ReplaySource::stamp(IoRequest& r) {
  ++tally_.issued;
  if (!timed_) return;
  const std::uint64_t due = base_ns_ + ops_[r.tag].due_ns;
  const std::uint64_t now = now_ns();
  const std::uint64_t lag = now > due ? now - due : 0;
  tally_.lag.record(lag);
  if (lag > 1'000'000) ++tally_.late_1ms;
}

}  // namespace aistor
