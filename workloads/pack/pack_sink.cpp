#include "workloads/pack/pack_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/align.hpp"
#include "core/clock.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "workloads/common/request_alignment.hpp"
#include "workloads/formats/crc.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/pack/range_reader.hpp"

namespace aistor {
namespace {

// Writes `bytes` at `offset` in block-sized requests; the last one padded with zeros to `pad`.
class WriteSource final : public RequestSource {
 public:
  WriteSource(FileId file, std::uint64_t offset, std::span<const std::byte> bytes,
              std::uint32_t block, std::uint32_t pad)
      : file_(file), offset_(offset), bytes_(bytes), block_(block), pad_(pad) {}
  bool next(IoRequest& q) override {
    if (at_ >= bytes_.size()) return false;
    q.op = Op::write;
    q.file = file_;
    q.offset = offset_ + at_;
    const std::uint64_t n = std::min<std::uint64_t>(block_, bytes_.size() - at_);
    q.length = static_cast<std::uint32_t>(align_up(n, pad_));
    q.tag = at_;
    at_ += n;
    return true;
  }
  void stamp(IoRequest& q) override {
    const std::uint64_t n = std::min<std::uint64_t>(q.length, bytes_.size() - q.tag);
    std::memcpy(q.buf, bytes_.data() + q.tag, n);
    std::memset(q.buf + n, 0, q.length - n);
  }

 private:
  FileId file_;
  std::uint64_t offset_;
  std::span<const std::byte> bytes_;
  std::uint32_t block_, pad_;
  std::uint64_t at_ = 0;
};

void put_u32(std::vector<std::byte>& out, std::uint32_t v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + 4);
}
void put_u64(std::vector<std::byte>& out, std::uint64_t v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + 8);
}

}  // namespace

const char* to_string(PackTarget t) noexcept {
  return t == PackTarget::ffrecord ? "ffrecord" : "tfrecord";
}

std::uint64_t target_file_bytes(PackTarget t, std::uint64_t samples,
                                std::uint64_t payload_bytes) noexcept {
  return t == PackTarget::ffrecord ? formats::ffrecord_header_bytes(samples) + payload_bytes
                                   : 16 * samples + payload_bytes;
}

PackSink::PackSink(Engine& engine, unsigned queue_depth, std::uint32_t block, Recorder& recorder,
                   const std::atomic<bool>& stop, ProgressCounters* progress, bool stop_on_error,
                   unsigned behind)
    : engine_(engine),
      pump_(engine, queue_depth, block, recorder, stop, progress),
      block_(block),
      recorder_(recorder),
      stop_on_error_(stop_on_error),
      behind_(behind) {
  if (behind_ > 0) writer_ = std::thread([this] { writer_loop(); });
}

PackSink::~PackSink() {
  abandon();
  if (writer_.joinable()) {
    {
      const std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    writer_.join();
  }
}

void PackSink::writer_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return quit_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    const bool skip = stopped_ || error_;  // after a failure the rest of the file is moot
    lock.unlock();
    std::optional<PumpOutcome> stopped;
    std::exception_ptr error;
    if (!skip) {
      try {
        write(b.offset, b.bytes);
      } catch (const PumpStopped& e) {
        stopped = e.outcome;
      } catch (...) {
        error = std::current_exception();
      }
    }
    b.bytes.clear();
    lock.lock();
    spare_.push_back(std::move(b.bytes));
    writing_ = false;
    if (stopped && !stopped_) stopped_ = stopped;
    if (error && !error_) error_ = error;
    cv_.notify_all();
  }
}

void PackSink::rethrow_failure() {
  if (error_) std::rethrow_exception(error_);
  if (stopped_) throw PumpStopped{*stopped_};
}

void PackSink::send(Batch batch) {
  if (behind_ == 0) {
    write(batch.offset, batch.bytes);
    batch.bytes.clear();
    const std::lock_guard lock(mu_);
    spare_.push_back(std::move(batch.bytes));  // the next batch's memory, as the writer's are
    return;
  }
  std::unique_lock lock(mu_);
  cv_.wait(lock,
           [this] { return queue_.size() + (writing_ ? 1 : 0) < behind_ || stopped_ || error_; });
  rethrow_failure();
  queue_.push_back(std::move(batch));
  cv_.notify_all();
}

void PackSink::drain(bool rethrow) {
  if (behind_ == 0) return;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !writing_; });
  if (rethrow) rethrow_failure();
}

void PackSink::open(const std::filesystem::path& path, PackTarget target, std::uint64_t samples) {
  abandon();
  {
    const std::lock_guard lock(mu_);
    stopped_.reset();
    error_ = nullptr;
  }
  path_ = path;
  tmp_ = path;
  tmp_ += ".tmp";
  {
    const UniqueFd created(
        ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!created) throw_errno("open", tmp_.string());
  }
  if (alignment_ == 0) {
    alignment_ = request_alignment(engine_, tmp_);
    if (block_ % alignment_ != 0) {
      (void)::unlink(tmp_.c_str());
      throw InputError(fmt::format("write_block {} is not a multiple of the O_DIRECT alignment {}",
                                   block_, alignment_));
    }
  }
  id_ = engine_.open(tmp_, Access::write);
  open_ = true;
  recorder_.name_file(id_, tmp_.string());
  target_ = target;
  samples_ = samples;
  appended_ = 0;
  pending_.clear();
  index_.clear();
  crcs_.clear();
  offsets_.clear();
  end_ = 0;
  head_.clear();
  if (target == PackTarget::ffrecord) {
    // The header, then the first payload bytes up to an aligned offset, are written last.
    end_ = formats::ffrecord_header_bytes(samples);
    head_.assign(end_, std::byte{0});
    crcs_.reserve(samples);
    offsets_.reserve(samples);
  }
  pending_at_ = align_up(end_, alignment_);
}

void PackSink::put(std::span<const std::byte> bytes) {
  // Bytes before pending_at_ belong to the held head.
  if (end_ < pending_at_) {
    const auto n = std::min<std::uint64_t>(bytes.size(), pending_at_ - end_);
    head_.insert(head_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    end_ += n;
    bytes = bytes.subspan(n);
  }
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  end_ += bytes.size();
}

void PackSink::append(std::span<const std::byte> sample) {
  if (!open_ || appended_ >= samples_)
    throw std::logic_error("PackSink: more samples than the file was opened for");
  ++appended_;
  if (target_ == PackTarget::ffrecord) {
    if (sample.size() > UINT32_MAX)
      throw InputError(fmt::format("{}: a sample of {} bytes exceeds FFRecord's 4 GiB",
                                   path_.string(), sample.size()));
    offsets_.push_back(end_);
    crcs_.push_back(formats::crc32(sample));
    put(sample);
  } else {
    index_ += fmt::format("{} {}\n", end_, formats::kTfRecordFramingBytes + sample.size());
    const formats::TfRecordFrame frame = formats::tfrecord_frame(sample);
    put(frame.header);
    put(sample);
    put(frame.footer);
  }
  // Whole blocks go out once a queue's worth is ready; what is left of a block stays pending.
  const std::uint64_t batch = static_cast<std::uint64_t>(block_) * pump_.depth();
  if (pending_.size() >= batch) {
    const std::uint64_t n = align_down(pending_.size(), block_);
    Batch out{pending_at_, {}};
    {
      const std::lock_guard lock(mu_);
      if (!spare_.empty()) {
        out.bytes = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    out.bytes.reserve(batch + block_);
    out.bytes.assign(pending_.begin() + static_cast<std::ptrdiff_t>(n), pending_.end());
    std::swap(out.bytes, pending_);
    out.bytes.resize(n);
    pending_at_ += n;
    send(std::move(out));
  }
}

void PackSink::write(std::uint64_t offset, std::span<const std::byte> bytes) {
  WriteSource source(id_, offset, bytes, block_, alignment_);
  PumpLimits limits;
  limits.stop_on_error = stop_on_error_;
  const PumpOutcome out = pump_.run(source, limits);
  if (out.end != PumpEnd::done) throw PumpStopped{out};
}

void PackSink::finish() {
  if (!open_) throw std::logic_error("PackSink: finish without open");
  if (appended_ != samples_)
    throw std::logic_error(fmt::format("PackSink: {} samples of {}", appended_, samples_));
  drain(true);  // the writer is idle from here on: the engine is this thread's again
  write(pending_at_, pending_);
  if (target_ == PackTarget::ffrecord) {
    std::vector<std::byte> h;
    h.reserve(formats::ffrecord_header_bytes(samples_));
    put_u32(h, 0);
    put_u64(h, samples_);
    for (auto c : crcs_)
      put_u32(h, c);
    for (auto o : offsets_)
      put_u64(h, o);
    const std::uint32_t meta = formats::crc32(std::span<const std::byte>(h).subspan(4));
    std::memcpy(h.data(), &meta, 4);
    std::memcpy(head_.data(), h.data(), h.size());
    write(0, head_);
  }
  engine_.sync(id_);
  engine_.close(id_);
  open_ = false;
  if (align_up(end_, alignment_) != end_ && ::truncate(tmp_.c_str(), static_cast<off_t>(end_)) != 0)
    throw_errno("truncate", tmp_.string());
  if (target_ == PackTarget::tfrecord) {
    auto idx = path_;
    idx += ".idx";
    write_file_durably(idx, index_);
  }
  DurableTemporary(path_, tmp_).commit();
  recorder_.extend_to(now_ns());
}

void PackSink::abandon() noexcept {
  if (!open_) return;
  try {
    drain(false);
  } catch (...) {
  }
  try {
    engine_.close(id_);
  } catch (...) {
  }
  open_ = false;
  (void)::unlink(tmp_.c_str());
}

}  // namespace aistor
