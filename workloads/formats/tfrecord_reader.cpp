#include "workloads/formats/tfrecord.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/crc.hpp"
#include "workloads/formats/tfrecord_detail.hpp"

namespace aistor::formats {
using namespace tfrecord_detail;

// ---------------------------------------------------------------------------------------------
// Reader

namespace {

// Bad stream contents; the scan loop adds the file, record and offset.
struct StreamError {
  std::string what;
};

// A buffered stream of the uncompressed TFRecord bytes.
class Stream {
 public:
  // The buffer starts at `initial` bytes (a small file needs no more) and grows to what ensure()
  // asks for, up to kBufferBytes.
  explicit Stream(std::size_t initial)
      : buf_(std::clamp<std::size_t>(initial, 4096, kBufferBytes)) {}
  virtual ~Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Makes up to `n` (<= kBufferBytes) bytes available at data(); returns how many are.
  std::size_t ensure(std::size_t n) {
    if (end_ - pos_ < n) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
      if (n > buf_.size()) buf_.resize(std::min(kBufferBytes, std::max(n, buf_.size() * 2)));
      while (end_ < n) {
        const std::size_t got = fill(buf_.data() + end_, buf_.size() - end_);
        if (got == 0) break;
        end_ += got;
      }
    }
    return std::min(n, end_ - pos_);
  }
  [[nodiscard]] const std::byte* data() const noexcept { return buf_.data() + pos_; }
  void consume(std::size_t n) noexcept { pos_ += n; }

  // Copies up to `n` bytes to `dst`; fewer only at the end of the stream.
  std::size_t read(std::byte* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      if (pos_ == end_) {
        pos_ = end_ = 0;
        if (n - done >= buf_.size()) {  // large reads go straight to the destination
          const std::size_t got = fill(dst + done, n - done);
          if (got == 0) break;
          done += got;
          continue;
        }
        end_ = fill(buf_.data(), buf_.size());
        if (end_ == 0) break;
      }
      const std::size_t take = std::min(end_ - pos_, n - done);
      std::memcpy(dst + done, buf_.data() + pos_, take);
      pos_ += take;
      done += take;
    }
    return done;
  }

  // Skips up to `n` bytes; fewer only at the end of the stream.
  std::uint64_t skip(std::uint64_t n) {
    const std::size_t buffered = std::min<std::uint64_t>(n, end_ - pos_);
    pos_ += buffered;
    return buffered + (n > buffered ? skip_source(n - buffered) : 0);
  }

 protected:
  // Produces up to `cap` bytes at `dst`; 0 only at the end of the stream.
  virtual std::size_t fill(std::byte* dst, std::size_t cap) = 0;
  virtual std::uint64_t skip_source(std::uint64_t n) {
    std::uint64_t done = 0;
    while (done < n) {
      const std::size_t got = fill(buf_.data(), std::min<std::uint64_t>(buf_.size(), n - done));
      if (got == 0) break;
      done += got;
    }
    return done;
  }

 private:
  std::vector<std::byte> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

class FileStream final : public Stream {
 public:
  FileStream(int fd, std::uint64_t size, const std::filesystem::path& path)
      : Stream(static_cast<std::size_t>(std::min<std::uint64_t>(size, kBufferBytes))),
        fd_(fd),
        size_(size),
        path_(path) {}

 private:
  std::size_t fill(std::byte* dst, std::size_t cap) override {
    const std::int64_t n = pread_full(fd_, dst, cap, offset_);
    if (n < 0) throw_system(static_cast<int>(-n), "pread", path_.string());
    offset_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
  std::uint64_t skip_source(std::uint64_t n) override {
    const std::uint64_t k = std::min(n, size_ > offset_ ? size_ - offset_ : 0);
    offset_ += k;
    return k;
  }

  int fd_;
  std::uint64_t size_;
  std::uint64_t offset_ = 0;
  const std::filesystem::path& path_;
};

class InflateStream final : public Stream {
 public:
  InflateStream(int fd, std::uint64_t size, TfCompression c, const std::filesystem::path& path)
      : Stream(64 << 10),
        fd_(fd),
        compression_(c),
        path_(path),
        in_(static_cast<std::size_t>(std::clamp<std::uint64_t>(size, 4096, kBufferBytes / 4))) {
    z_.reset(new z_stream{});
    const int window_bits = c == TfCompression::gzip ? MAX_WBITS + 16 : MAX_WBITS;
    if (inflateInit2(z_.get(), window_bits) != Z_OK) {
      z_.release();
      throw_system(ENOMEM, "inflateInit2", path.string());
    }
  }

 private:
  bool refill_input() {
    const std::int64_t n = pread_full(fd_, in_.data(), in_.size(), in_offset_);
    if (n < 0) throw_system(static_cast<int>(-n), "pread", path_.string());
    in_offset_ += static_cast<std::uint64_t>(n);
    z_->next_in = reinterpret_cast<Bytef*>(in_.data());
    z_->avail_in = static_cast<uInt>(n);
    return n > 0;
  }

  std::size_t fill(std::byte* dst, std::size_t cap) override {
    while (!done_) {
      if (z_->avail_in == 0 && !refill_input()) {
        if (!member_started_) {  // clean end between gzip members
          done_ = true;
          break;
        }
        throw StreamError{fmt::format("{} stream ends early: the compressed file is truncated",
                                      name_of(compression_))};
      }
      member_started_ = true;
      z_->next_out = reinterpret_cast<Bytef*>(dst);
      z_->avail_out = static_cast<uInt>(std::min<std::size_t>(cap, UINT_MAX));
      const int ret = inflate(z_.get(), Z_NO_FLUSH);
      const std::size_t produced = std::min<std::size_t>(cap, UINT_MAX) - z_->avail_out;
      if (ret == Z_STREAM_END) {
        member_started_ = false;
        // gunzip reads concatenated gzip members as one stream; a zlib stream has one.
        if (compression_ == TfCompression::zlib) {
          if (z_->avail_in > 0 || refill_input())
            throw StreamError{"zlib stream: data after the end of the compressed stream"};
          done_ = true;
        } else {
          inflateReset(z_.get());
        }
      } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
        throw StreamError{fmt::format("{} stream: zlib inflate error: {}", name_of(compression_),
                                      z_->msg != nullptr ? z_->msg : zError(ret))};
      }
      if (produced > 0) return produced;
    }
    return 0;
  }

  int fd_;
  TfCompression compression_;
  const std::filesystem::path& path_;
  std::vector<std::byte> in_;
  std::uint64_t in_offset_ = 0;
  ZStream z_{nullptr, ZDeleter{false}};
  bool member_started_ = false;
  bool done_ = false;
};

TfCompression detect(std::span<const std::byte> head) {
  const auto b = [&](std::size_t i) { return std::to_integer<unsigned>(head[i]); };
  // A valid length header wins: some record lengths look like a zlib or gzip magic.
  if (head.size() >= kHeaderBytes &&
      masked_crc32c(head.first(8)) == load<std::uint32_t>(head.data() + 8))
    return TfCompression::none;
  if (head.size() < 2) return TfCompression::none;
  if (b(0) == 0x1f && b(1) == 0x8b) return TfCompression::gzip;
  if ((b(0) & 0x0f) == 8 && (b(0) >> 4) <= 7 && (b(0) * 256 + b(1)) % 31 == 0)
    return TfCompression::zlib;
  return TfCompression::none;
}

using RecordFn = std::function<void(std::uint64_t index, std::uint64_t offset, std::uint64_t length,
                                    std::span<const std::byte> payload)>;

struct ScanOptions {
  bool verify_crc = false;
  bool want_payload = false;
  bool require_uncompressed = false;
};

std::string crc_mismatch(std::string_view what, std::uint32_t stored, std::uint32_t computed) {
  return fmt::format("{} CRC mismatch (stored {:#010x}, computed {:#010x})", what, stored,
                     computed);
}

// Reads one record's payload and footer; calls `on_record`.
void read_payload(Stream& s, std::uint64_t length, std::uint64_t index, std::uint64_t offset,
                  const ScanOptions& opt, std::vector<std::byte>& big, const RecordFn& on_record) {
  if (!opt.verify_crc && !opt.want_payload) {
    const std::uint64_t skipped = s.skip(length);
    if (skipped < length)
      throw StreamError{fmt::format("truncated payload ({} of {} bytes)", skipped, length)};
    if (s.ensure(kFooterBytes) < kFooterBytes) throw StreamError{"truncated footer"};
    s.consume(kFooterBytes);
    return on_record(index, offset, length, {});
  }
  std::span<const std::byte> payload;
  const std::byte* footer = nullptr;
  const bool in_buffer = length + kFooterBytes <= kBufferBytes;
  if (in_buffer) {  // payload and footer together in the buffer
    const std::size_t have = s.ensure(length + kFooterBytes);
    if (have < length)
      throw StreamError{fmt::format("truncated payload ({} of {} bytes)", have, length)};
    if (have < length + kFooterBytes) throw StreamError{"truncated footer"};
    payload = {s.data(), length};
    footer = s.data() + length;
  } else {
    // Grow only as bytes arrive, so a corrupt length in a compressed stream cannot allocate
    // more than the stream actually holds.
    std::uint64_t got = 0;
    while (got < length) {
      const std::uint64_t piece = std::min<std::uint64_t>(length - got, 64 * kBufferBytes);
      if (big.size() < got + piece) big.resize(got + piece);
      const std::size_t n = s.read(big.data() + got, piece);
      got += n;
      if (n < piece)
        throw StreamError{fmt::format("truncated payload ({} of {} bytes)", got, length)};
    }
    payload = {big.data(), length};
    if (s.ensure(kFooterBytes) < kFooterBytes) throw StreamError{"truncated footer"};
    footer = s.data();
  }
  if (opt.verify_crc) {
    const auto stored = load<std::uint32_t>(footer);
    const std::uint32_t computed = masked_crc32c(payload);
    if (stored != computed) throw StreamError{crc_mismatch("payload", stored, computed)};
  }
  on_record(index, offset, length, payload);
  s.consume(in_buffer ? length + kFooterBytes : kFooterBytes);
}

TfRecordStats scan(const std::filesystem::path& file, const ScanOptions& opt,
                   const RecordFn& on_record) {
  const UniqueFd fd = open_or_throw(file, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat", file.string());
  TfRecordStats stats;
  stats.file_bytes = static_cast<std::uint64_t>(st.st_size);

  std::array<std::byte, kHeaderBytes> head{};
  const std::int64_t n = pread_full(fd.get(), head.data(), head.size(), 0);
  if (n < 0) throw_system(static_cast<int>(-n), "pread", file.string());
  stats.compression = detect(std::span(head).first(static_cast<std::size_t>(n)));
  const bool compressed = stats.compression != TfCompression::none;
  if (compressed && opt.require_uncompressed)
    throw InputError(fmt::format(
        "{}: {}-compressed TFRecord cannot be indexed: offsets of a compressed stream do not "
        "address the file",
        file.string(), name_of(stats.compression)));

  std::unique_ptr<Stream> s;
  if (compressed)
    s = std::make_unique<InflateStream>(fd.get(), stats.file_bytes, stats.compression, file);
  else
    s = std::make_unique<FileStream>(fd.get(), stats.file_bytes, file);

  std::vector<std::byte> big;
  std::uint64_t index = 0;
  std::uint64_t offset = 0;
  try {
    for (;; ++index) {
      const std::size_t have = s->ensure(kHeaderBytes);
      if (have == 0) break;
      if (have < kHeaderBytes)
        throw StreamError{fmt::format("truncated length field ({} of 12 bytes)", have)};
      const auto length = load<std::uint64_t>(s->data());
      const auto stored = load<std::uint32_t>(s->data() + 8);
      const std::uint32_t computed = masked_crc32c({s->data(), 8});
      if (stored != computed) throw StreamError{crc_mismatch("length", stored, computed)};
      if (!compressed) {
        const std::uint64_t end = offset + kHeaderBytes;
        const std::uint64_t remain = stats.file_bytes > end ? stats.file_bytes - end : 0;
        if (length > remain)
          throw StreamError{fmt::format("payload length {} beyond end of file ({} bytes remain)",
                                        length, remain)};
      }
      s->consume(kHeaderBytes);
      read_payload(*s, length, index, offset, opt, big, on_record);
      ++stats.records;
      stats.payload_bytes += length;
      offset += length + kFramingBytes;
    }
  } catch (const StreamError& e) {
    throw InputError(fmt::format("{}: record {} at {}offset {}: {}", file.string(), index,
                                 compressed ? "uncompressed " : "", offset, e.what));
  }
  return stats;
}

}  // namespace

TfRecordStats scan_tfrecord(const std::filesystem::path& file, bool verify_crc,
                            const TfRecordVisitor& visit) {
  const ScanOptions opt{.verify_crc = verify_crc, .want_payload = static_cast<bool>(visit)};
  return scan(file, opt,
              [&](std::uint64_t index, std::uint64_t offset, std::uint64_t,
                  std::span<const std::byte> payload) {
                if (visit) visit(index, offset, payload);
              });
}

std::vector<SampleRef> index_tfrecord(const std::filesystem::path& file, std::uint32_t file_id,
                                      bool verify_crc) {
  std::vector<SampleRef> refs;
  const ScanOptions opt{.verify_crc = verify_crc, .require_uncompressed = true};
  (void)scan(
      file, opt,
      [&](std::uint64_t, std::uint64_t offset, std::uint64_t length, std::span<const std::byte>) {
        if (length > UINT32_MAX)
          throw StreamError{
              fmt::format("payload of {} bytes is too large to index (limit 2^32-1)", length)};
        refs.push_back({offset + kHeaderBytes, static_cast<std::uint32_t>(length), file_id});
      });
  return refs;
}

TfCompression detect_tfrecord_compression(const std::filesystem::path& file) {
  const UniqueFd fd = open_or_throw(file, O_RDONLY);
  std::array<std::byte, kHeaderBytes> head{};
  const std::int64_t n = pread_full(fd.get(), head.data(), head.size(), 0);
  if (n < 0) throw_system(static_cast<int>(-n), "pread", file.string());
  return detect(std::span(head).first(static_cast<std::size_t>(n)));
}

}  // namespace aistor::formats
