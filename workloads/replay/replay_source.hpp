#pragma once
// One replay thread's ops as a pump request source: in order, each when it is due (timed) or as
// soon as the queue has room (afap); the lag of each timed op — handed to the engine minus due —
// goes to the tally.
#include <cstdint>
#include <span>

#include "engines/pump.hpp"
#include "workloads/replay/replay_plan.hpp"
#include "workloads/replay/replay_workload.hpp"

namespace aistor {

class ReplaySource final : public RequestSource {
 public:
  // `ids`: the engine's file id of each plan file this thread uses. `base_ns`: when time zero is
  // (the phase's start); `timed` false plays as fast as possible.
  ReplaySource(std::span<const ReplayOp> ops, std::span<const FileId> ids, bool timed,
               std::uint64_t base_ns, ReplayTally& tally)
      : ops_(ops), ids_(ids), timed_(timed), base_ns_(base_ns), tally_(tally) {}

  bool next(IoRequest& r) override;
  void stamp(IoRequest& r) override;
  [[nodiscard]] bool waiting() const override { return timed_ && next_ < ops_.size(); }
  [[nodiscard]] std::uint64_t due_ns() const override { return due_ns_; }

 private:
  std::span<const ReplayOp> ops_;
  std::span<const FileId> ids_;
  bool timed_;
  std::uint64_t base_ns_;
  ReplayTally& tally_;
  std::size_t next_ = 0;
  std::uint64_t due_ns_ = 0;
};

}  // namespace aistor
