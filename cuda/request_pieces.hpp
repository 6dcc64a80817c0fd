#pragma once
// The bookkeeping of an engine that splits each request into pieces of at most `piece_size`
// bytes and finishes them out of order (the GPU engines: one piece per staging buffer or copy).
// It keeps the requests in flight, hands out their pieces in submission order, adds up what the
// pieces transferred, and queues a request's result once its last piece is done: the bytes of all
// pieces, or the first piece's -errno. Not thread-safe, as engines are not.
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "engines/engine.hpp"

namespace aistor {

class RequestPieces {
 public:
  struct Piece {
    std::uint32_t request = 0;  // handle for request() and done()
    std::uint64_t offset = 0;   // within the request
    std::uint32_t length = 0;
  };

  RequestPieces(std::size_t max_requests, std::uint64_t piece_size);

  // Takes a request; throws std::logic_error beyond max_requests in flight. A zero-length one is
  // ready at once.
  void add(const IoRequest& request);
  [[nodiscard]] bool has_waiting() const noexcept { return !waiting_.empty(); }
  // The next piece to start; has_waiting() must be true.
  [[nodiscard]] Piece next();
  [[nodiscard]] const IoRequest& request(std::uint32_t handle) const {
    return slots_[handle].request;
  }
  // A piece finished with `res` bytes (or -errno).
  void done(std::uint32_t handle, std::int64_t res);

  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  [[nodiscard]] std::size_t ready() const noexcept { return ready_.size(); }
  // Requests added whose result is not ready yet.
  [[nodiscard]] std::size_t outstanding() const noexcept { return outstanding_; }
  // Moves up to out.size() ready results into `out`, oldest first; returns how many.
  std::size_t take(std::span<IoResult> out);

 private:
  struct Slot {
    IoRequest request;
    std::uint64_t issued = 0;  // bytes handed out as pieces
    unsigned in_flight = 0;
    std::int64_t bytes = 0;
    std::int64_t error = 0;
  };
  std::uint64_t piece_size_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::deque<std::uint32_t> waiting_;
  std::deque<IoResult> ready_;
  std::size_t outstanding_ = 0;
};

}  // namespace aistor
