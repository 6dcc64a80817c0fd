#include "engines/sync_engine.hpp"

#include "core/clock.hpp"

namespace aistor {

void SyncEngine::submit(std::span<const IoRequest> requests) {
  for (const auto& r : requests) {
    std::int64_t res = execute(r);
    done_.push_back({r.tag, res, now_ns()});
  }
}

std::size_t SyncEngine::reap(std::span<IoResult> out, std::size_t /*at_least*/) {
  std::size_t n = 0;
  while (n < out.size() && head_ < done_.size())
    out[n++] = done_[head_++];
  if (head_ == done_.size()) {
    done_.clear();
    head_ = 0;
  }
  return n;
}

}  // namespace aistor
