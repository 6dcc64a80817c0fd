#include "cuda/request_pieces.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "core/clock.hpp"

namespace aistor {

RequestPieces::RequestPieces(std::size_t max_requests, std::uint64_t piece_size)
    : piece_size_(piece_size), slots_(std::max<std::size_t>(max_requests, 1)) {
  for (auto i = static_cast<std::uint32_t>(slots_.size()); i > 0; --i)
    free_.push_back(i - 1);
}

void RequestPieces::add(const IoRequest& request) {
  if (request.length == 0) {
    ready_.push_back({request.tag, 0, now_ns()});
    return;
  }
  if (free_.empty()) {
    throw std::logic_error(fmt::format("more than {} requests in flight", slots_.size()));
  }
  const std::uint32_t handle = free_.back();
  free_.pop_back();
  slots_[handle] = Slot{request};
  waiting_.push_back(handle);
  ++outstanding_;
}

RequestPieces::Piece RequestPieces::next() {
  const std::uint32_t handle = waiting_.front();
  Slot& s = slots_[handle];
  const auto length =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(piece_size_, s.request.length - s.issued));
  Piece piece{handle, s.issued, length};
  s.issued += length;
  ++s.in_flight;
  if (s.issued == s.request.length) waiting_.pop_front();
  return piece;
}

void RequestPieces::done(std::uint32_t handle, std::int64_t res) {
  Slot& s = slots_[handle];
  --s.in_flight;
  if (res < 0) {
    if (s.error == 0) s.error = res;
  } else {
    s.bytes += res;
  }
  if (s.in_flight > 0 || s.issued < s.request.length) return;
  ready_.push_back({s.request.tag, s.error != 0 ? s.error : s.bytes, now_ns()});
  free_.push_back(handle);
  --outstanding_;
}

std::size_t RequestPieces::take(std::span<IoResult> out) {
  const std::size_t n = std::min(out.size(), ready_.size());
  std::copy_n(ready_.begin(), n, out.begin());
  ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

}  // namespace aistor
