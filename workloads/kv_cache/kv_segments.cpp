#include "workloads/kv_cache/kv_segments.hpp"

#include <algorithm>
#include <cstring>

#include "core/align.hpp"

namespace aistor {
namespace {

constexpr std::size_t kHeader = 16;
constexpr unsigned kPosBits = 40;  // a tag: segment index above, offset in the entry below

}  // namespace

void kv_stamp(std::byte* chunk, std::size_t length, std::uint64_t serial, std::uint64_t offset) {
  const std::uint64_t h[2] = {serial, offset};
  std::memcpy(chunk, h, std::min(length, kHeader));
}

bool kv_chunk_ok(const std::byte* chunk, std::size_t length, std::uint64_t serial,
                 std::uint64_t offset, std::span<const std::byte> reference) {
  std::byte expect[kHeader];
  kv_stamp(expect, kHeader, serial, offset);
  const std::size_t h = std::min(length, kHeader);
  if (std::memcmp(chunk, expect, h) != 0) return false;
  return length <= h || std::memcmp(chunk + h, reference.data() + h, length - h) == 0;
}

KvSegmentSource::KvSegmentSource(Engine& engine, Op op, std::span<const KvSegment> segments,
                                 std::uint32_t request_size, std::uint32_t alignment,
                                 std::span<const std::byte> reference, KvChunkCheck* check)
    : engine_(engine),
      op_(op),
      segments_(segments),
      request_size_(request_size),
      alignment_(alignment),
      reference_(reference),
      check_(check) {}

bool KvSegmentSource::next(IoRequest& r) {
  while (segment_ < segments_.size() &&
         pos_ >= align_up(segments_[segment_].bytes, std::uint64_t{alignment_})) {
    ++segment_;
    pos_ = 0;
  }
  if (segment_ >= segments_.size()) return false;
  const KvSegment& s = segments_[segment_];
  const std::uint64_t padded = align_up(s.bytes, std::uint64_t{alignment_});
  r.op = op_;
  r.file = s.file;
  r.offset = s.offset + pos_;
  r.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(request_size_, padded - pos_));
  r.tag = (std::uint64_t{segment_} << kPosBits) | pos_;
  if (op_ == Op::write && s.device != nullptr) r.buf = s.device + pos_;
  pos_ += r.length;
  return true;
}

void KvSegmentSource::stamp(IoRequest& r) {
  if (r.op != Op::write) return;
  const KvSegment& s = segments_[r.tag >> kPosBits];
  const std::uint64_t pos = r.tag & ((std::uint64_t{1} << kPosBits) - 1);
  if (s.device != nullptr) return;
  const std::size_t valid =
      static_cast<std::size_t>(std::min<std::uint64_t>(r.length, s.bytes - pos));
  if (s.host != nullptr) {
    engine_.upload(r.buf, {s.host + pos, valid});
  } else if (!engine_.device_memory()) {
    kv_stamp(r.buf, valid, s.serial, pos);
  }
}

void KvSegmentSource::completed(const IoRequest& r, std::int64_t res) {
  if (check_ == nullptr || r.op != Op::read || res < 0) return;
  const KvSegment& s = segments_[r.tag >> kPosBits];
  const std::uint64_t pos = r.tag & ((std::uint64_t{1} << kPosBits) - 1);
  const std::size_t valid =
      static_cast<std::size_t>(std::min<std::uint64_t>(r.length, s.bytes - pos));
  const bool ok = static_cast<std::uint64_t>(res) >= valid &&
                  kv_chunk_ok(r.buf, valid, s.serial, pos, reference_);
  ++(ok ? check_->verified : check_->mismatches);
}

}  // namespace aistor
