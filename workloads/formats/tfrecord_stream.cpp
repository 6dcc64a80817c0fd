#include "workloads/formats/tfrecord_stream.hpp"

#include <zlib.h>

#include <climits>
#include <ctime>

#include <fmt/format.h>

#include "core/error.hpp"
#include "workloads/formats/crc.hpp"
#include "workloads/formats/tfrecord_detail.hpp"

namespace aistor::formats {
namespace {

std::uint64_t thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

using tfrecord_detail::kFooterBytes;
using tfrecord_detail::kHeaderBytes;
using tfrecord_detail::load;
using tfrecord_detail::name_of;

struct TfRecordStreamParser::Inflater {
  z_stream z{};
  bool open = false;
  bool member_started = false;  // inside a gzip member or the zlib stream
  bool ended = false;           // the zlib stream is complete
  std::vector<std::byte> out = std::vector<std::byte>(256 << 10);
  ~Inflater() {
    if (open) inflateEnd(&z);
  }
};

TfRecordStreamParser::TfRecordStreamParser(TfCompression compression, std::string name,
                                           bool verify_crc)
    : compression_(compression), name_(std::move(name)), verify_crc_(verify_crc) {
  if (compression_ == TfCompression::none) return;
  inflater_ = std::make_unique<Inflater>();
  const int bits = compression_ == TfCompression::gzip ? MAX_WBITS + 16 : MAX_WBITS;
  if (inflateInit2(&inflater_->z, bits) != Z_OK) throw_system(ENOMEM, "inflateInit2", name_);
  inflater_->open = true;
}

TfRecordStreamParser::~TfRecordStreamParser() = default;

void TfRecordStreamParser::fail(const std::string& what) const {
  throw InputError(fmt::format("{}: record {} at offset {}: {}", name_, records_,
                               pending_offset_ + pending_start_, what));
}

void TfRecordStreamParser::push(std::span<const std::byte> bytes, const OnRecord& on_record) {
  if (!inflater_) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    parse(on_record);
    return;
  }
  if (bytes.size() > UINT_MAX) fail("a piece over 4 GiB");
  Inflater& f = *inflater_;
  f.z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(bytes.data()));
  f.z.avail_in = static_cast<uInt>(bytes.size());
  while (f.z.avail_in > 0) {
    if (f.ended) fail("zlib stream: data after the end of the compressed stream");
    f.member_started = true;
    f.z.next_out = reinterpret_cast<Bytef*>(f.out.data());
    f.z.avail_out = static_cast<uInt>(f.out.size());
    const std::uint64_t t0 = thread_cpu_ns();
    const int ret = inflate(&f.z, Z_NO_FLUSH);
    inflate_cpu_ns_ += thread_cpu_ns() - t0;
    const std::size_t produced = f.out.size() - f.z.avail_out;
    if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
      fail(fmt::format("{} stream: zlib inflate error: {}", name_of(compression_),
                       f.z.msg != nullptr ? f.z.msg : zError(ret)));
    }
    pending_.insert(pending_.end(), f.out.begin(), f.out.begin() + static_cast<long>(produced));
    parse(on_record);
    if (ret == Z_STREAM_END) {
      f.member_started = false;
      if (compression_ == TfCompression::zlib) {
        f.ended = true;
      } else {
        inflateReset(&f.z);  // concatenated gzip members read as one stream, as gunzip does
      }
    } else if (ret == Z_BUF_ERROR && produced == 0 && f.z.avail_in > 0) {
      fail(fmt::format("{} stream: inflate made no progress", name_of(compression_)));
    }
  }
}

void TfRecordStreamParser::parse(const OnRecord& on_record) {
  for (;;) {
    const std::size_t have = pending_.size() - pending_start_;
    if (have < kHeaderBytes) break;
    const std::byte* p = pending_.data() + pending_start_;
    const auto length = load<std::uint64_t>(p);
    const auto stored = load<std::uint32_t>(p + 8);
    const std::uint32_t computed = masked_crc32c(std::span(p, 8));
    if (stored != computed) {
      fail(fmt::format("length CRC mismatch (stored {:#010x}, computed {:#010x})", stored,
                       computed));
    }
    if (length > (std::uint64_t{1} << 40)) fail(fmt::format("length {} is not plausible", length));
    if (have < kHeaderBytes + length + kFooterBytes) break;
    const std::span<const std::byte> payload(p + kHeaderBytes, length);
    if (verify_crc_) {
      const auto stored_p = load<std::uint32_t>(p + kHeaderBytes + length);
      const std::uint32_t computed_p = masked_crc32c(payload);
      if (stored_p != computed_p) {
        fail(fmt::format("payload CRC mismatch (stored {:#010x}, computed {:#010x})", stored_p,
                         computed_p));
      }
    }
    on_record(records_, pending_offset_ + pending_start_, payload);
    ++records_;
    pending_start_ += kHeaderBytes + length + kFooterBytes;
  }
  // Drop what has been parsed once it is most of the buffer (amortised O(1) per byte).
  if (pending_start_ > 0 && pending_start_ >= pending_.size() / 2) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(pending_start_));
    pending_offset_ += pending_start_;
    pending_start_ = 0;
  }
}

void TfRecordStreamParser::finish() {
  if (inflater_ && inflater_->member_started) {
    fail(fmt::format("{} stream ends early: the compressed file is truncated",
                     name_of(compression_)));
  }
  const std::size_t left = pending_.size() - pending_start_;
  if (left > 0) fail(fmt::format("file ends inside a record ({} bytes left over)", left));
}

}  // namespace aistor::formats
