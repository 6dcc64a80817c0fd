#pragma once
// The shared half of every synchronous engine: submit() performs each request at once through
// execute(), reap() hands the completions back in order. One request is in flight at a time.
#include <vector>

#include "engines/engine.hpp"

namespace aistor {

class SyncEngine : public Engine {
 public:
  void submit(std::span<const IoRequest> requests) final;
  [[nodiscard]] std::size_t reap(std::span<IoResult> out, std::size_t at_least) final;
  [[nodiscard]] std::size_t max_in_flight() const noexcept final { return 1; }

 protected:
  // Performs the whole request; bytes done (short only at end of file) or -errno.
  [[nodiscard]] virtual std::int64_t execute(const IoRequest& request) noexcept = 0;

 private:
  std::vector<IoResult> done_;
  std::size_t head_ = 0;
};

}  // namespace aistor
