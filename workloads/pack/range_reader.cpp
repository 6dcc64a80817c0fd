#include "workloads/pack/range_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/align.hpp"
#include "core/error.hpp"
#include "workloads/common/request_alignment.hpp"

namespace aistor {

// Requests from the frontier on, in blocks, while the window has room; completions land in it.
class RangeReader::Source final : public RequestSource {
 public:
  Source(RangeReader& r, std::uint64_t stop_at) : r_(r), stop_at_(stop_at) {}
  bool next(IoRequest& q) override {
    if (r_.frontier_ >= stop_at_) return false;
    q.op = Op::read;
    q.file = r_.id_;
    q.offset = r_.frontier_;
    const std::uint64_t left = align_up(r_.end_ - r_.frontier_, r_.alignment_);
    q.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(r_.block_, left));
    q.to_eof = q.offset + q.length > r_.file_bytes_;
    r_.frontier_ += q.length;
    return true;
  }
  void completed(const IoRequest& q, std::int64_t res) override {
    if (res <= 0) return;  // the pump records the error
    const std::uint64_t at = q.offset - r_.window_at_;
    const auto n = std::min<std::uint64_t>(static_cast<std::uint64_t>(res), r_.window_.size() - at);
    std::memcpy(r_.window_.data() + at, q.buf, n);
    if (q.to_eof && q.offset + static_cast<std::uint64_t>(res) < r_.file_bytes_) short_ = true;
  }
  bool short_ = false;

 private:
  RangeReader& r_;
  std::uint64_t stop_at_;
};

RangeReader::RangeReader(Engine& engine, unsigned queue_depth, std::uint32_t block,
                         std::uint64_t window, Recorder& recorder, const std::atomic<bool>& stop,
                         ProgressCounters* progress, bool stop_on_error)
    : engine_(engine),
      pump_(engine, queue_depth, block, recorder, stop, progress),
      block_(block),
      recorder_(recorder),
      stop_on_error_(stop_on_error),
      window_(window) {}

RangeReader::~RangeReader() {
  close();
}

void RangeReader::open(const std::filesystem::path& path, std::uint64_t file_bytes,
                       std::uint64_t begin, std::uint64_t end) {
  close();
  if (alignment_ == 0) {
    alignment_ = request_alignment(engine_, path);
    if (block_ % alignment_ != 0)
      throw InputError(fmt::format("read_block {} is not a multiple of the O_DIRECT alignment {}",
                                   block_, alignment_));
  }
  id_ = engine_.open(path, Access::read);
  open_ = true;
  recorder_.name_file(id_, path.string());
  path_ = path;
  file_bytes_ = file_bytes;
  end_ = end;
  window_at_ = frontier_ = align_down(begin, alignment_);
  filled_ = 0;
}

void RangeReader::close() {
  if (open_) engine_.close(id_);
  open_ = false;
}

void RangeReader::fill(std::uint64_t need_end) {
  // Room for at least the range asked for and a queue's worth of blocks beyond it.
  const std::uint64_t room =
      need_end - window_at_ + static_cast<std::uint64_t>(block_) * (pump_.depth() + 1) + alignment_;
  if (window_.size() < room) window_.resize(room);
  const std::uint64_t stop_at =
      std::min(align_up(end_, alignment_),
               window_at_ + align_down(window_.size() - block_ - alignment_, alignment_));
  Source source(*this, std::max(stop_at, need_end));
  PumpLimits limits;
  limits.stop_on_error = stop_on_error_;
  const PumpOutcome out = pump_.run(source, limits);
  if (out.end != PumpEnd::done) throw PumpStopped{out};
  filled_ = std::min(frontier_, file_bytes_) - window_at_;
  if (source.short_ || window_at_ + filled_ < need_end)
    throw InputError(
        fmt::format("{}: ended at byte {} where {} bytes were indexed (changed "
                    "since?)",
                    path_.string(), window_at_ + filled_, need_end));
}

std::span<const std::byte> RangeReader::get(std::uint64_t offset, std::uint64_t n) {
  const std::uint64_t need_end = offset + n;
  if (offset < window_at_) throw std::logic_error("RangeReader: ranges out of order");
  if (need_end > window_at_ + filled_) {
    // Keep what is still wanted, from `offset` on, at the front; read the rest.
    const std::uint64_t keep_from = std::min(offset - window_at_, filled_);
    std::memmove(window_.data(), window_.data() + keep_from, filled_ - keep_from);
    window_at_ += keep_from;
    filled_ -= keep_from;
    fill(need_end);
  }
  return std::span<const std::byte>(window_).subspan(offset - window_at_, n);
}

}  // namespace aistor
