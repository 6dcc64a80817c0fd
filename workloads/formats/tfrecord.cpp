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
#include "core/unique_fd.hpp"
#include "engines/posix_io.hpp"
#include "workloads/formats/crc.hpp"

namespace aistor::formats {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
constexpr std::size_t kHeaderBytes = 12;  // u64 length + u32 masked crc
constexpr std::size_t kFooterBytes = 4;   // u32 masked crc of the payload
constexpr std::uint64_t kFramingBytes = kHeaderBytes + kFooterBytes;

template <typename T>
T load(const std::byte* p) noexcept {  // TFRecord is little-endian, as is every host we target
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string_view name_of(TfCompression c) {
  switch (c) {
    case TfCompression::gzip:
      return "gzip";
    case TfCompression::zlib:
      return "zlib";
    case TfCompression::none:
      break;
  }
  return "uncompressed";
}

UniqueFd open_or_throw(const std::filesystem::path& path, int flags, mode_t mode = 0) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) throw_errno("open", path.string());
  return fd;
}

void write_all(int fd, std::span<const std::byte> data, std::uint64_t offset,
               const std::filesystem::path& path) {
  const std::int64_t n = pwrite_full(fd, data.data(), data.size(), offset);
  if (n < 0) throw_system(static_cast<int>(-n), "pwrite", path.string());
}

struct ZDeleter {
  bool deflating;
  void operator()(z_stream* z) const noexcept {
    if (deflating)
      deflateEnd(z);
    else
      inflateEnd(z);
    delete z;
  }
};
using ZStream = std::unique_ptr<z_stream, ZDeleter>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer

struct TfRecordWriter::State {
  std::filesystem::path file;
  std::filesystem::path idx_tmp;  // empty when no index is written
  TfCompression compression = TfCompression::none;
  UniqueFd fd;
  UniqueFd idx_fd;
  std::vector<std::byte> buf = std::vector<std::byte>(kBufferBytes);
  std::size_t used = 0;
  std::vector<std::byte> zout;
  ZStream z{nullptr, ZDeleter{true}};
  std::string idx_text;
  std::uint64_t idx_written = 0;
  std::uint64_t records = 0;
  std::uint64_t framed = 0;   // bytes of the uncompressed stream
  std::uint64_t written = 0;  // bytes written to the file
  bool finished = false;

  ~State() {
    if (!idx_tmp.empty()) ::unlink(idx_tmp.c_str());  // left only when finish() did not complete
  }

  void write_file(std::span<const std::byte> data) {
    write_all(fd.get(), data, written, file);
    written += data.size();
  }

  void deflate_chunk(std::span<const std::byte> data, int flush) {
    z->next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(data.data()));
    z->avail_in = static_cast<uInt>(data.size());
    for (;;) {
      z->next_out = reinterpret_cast<Bytef*>(zout.data());
      z->avail_out = static_cast<uInt>(zout.size());
      const int ret = deflate(z.get(), flush);
      if (ret == Z_STREAM_ERROR) throw_system(EINVAL, "deflate", file.string());
      write_file(std::span(zout).first(zout.size() - z->avail_out));
      if (flush == Z_FINISH ? ret == Z_STREAM_END : z->avail_out != 0) return;
    }
  }

  void sink(std::span<const std::byte> data) {
    if (compression == TfCompression::none) return write_file(data);
    do {
      const std::size_t n = std::min<std::size_t>(data.size(), UINT_MAX);
      deflate_chunk(data.first(n), Z_NO_FLUSH);
      data = data.subspan(n);
    } while (!data.empty());
  }

  void flush_buffer() {
    if (used > 0) sink(std::span(buf).first(used));
    used = 0;
  }

  void emit(std::span<const std::byte> data) {
    if (used + data.size() > buf.size()) {
      flush_buffer();
      if (data.size() >= buf.size()) return sink(data);  // large payloads bypass the buffer
    }
    std::memcpy(buf.data() + used, data.data(), data.size());
    used += data.size();
  }

  void flush_index() {
    write_all(idx_fd.get(), std::as_bytes(std::span(idx_text)), idx_written, idx_tmp);
    idx_written += idx_text.size();
    idx_text.clear();
  }
};

TfRecordWriter::TfRecordWriter(const std::filesystem::path& file, TfCompression compression)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.file = file;
  s.compression = compression;
  std::filesystem::path idx = file;
  idx += ".idx";
  if (::unlink(idx.c_str()) != 0 && errno != ENOENT) throw_errno("unlink", idx.string());
  s.fd = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (compression == TfCompression::none) {
    std::filesystem::path tmp = idx;
    tmp += ".tmp";
    s.idx_fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    s.idx_tmp = std::move(tmp);
    return;
  }
  s.zout.resize(kBufferBytes);
  s.z.reset(new z_stream{});
  // TensorFlow's ZlibOutputBuffer: default level, deflate, memLevel 9; +16 selects the gzip
  // wrapper.
  const int window_bits = compression == TfCompression::gzip ? MAX_WBITS + 16 : MAX_WBITS;
  const int ret = deflateInit2(s.z.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 9,
                               Z_DEFAULT_STRATEGY);
  if (ret != Z_OK) {
    s.z.release();  // deflateEnd must not run on a stream whose init failed
    throw_system(ret == Z_MEM_ERROR ? ENOMEM : EINVAL, "deflateInit2", file.string());
  }
}

TfRecordWriter::TfRecordWriter(TfRecordWriter&&) noexcept = default;

TfRecordWriter& TfRecordWriter::operator=(TfRecordWriter&& other) noexcept {
  if (this != &other) {
    try {
      if (state_) finish();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor-like close reports nothing
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

TfRecordWriter::~TfRecordWriter() {
  try {
    if (state_) finish();
  } catch (...) {  // NOLINT(bugprone-empty-catch): callers wanting errors call finish()
  }
}

void TfRecordWriter::append(std::span<const std::byte> payload) {
  if (!state_ || state_->finished) throw std::logic_error("TfRecordWriter::append after finish");
  State& s = *state_;
  std::array<std::byte, kHeaderBytes> header{};
  const std::uint64_t length = payload.size();
  std::memcpy(header.data(), &length, 8);
  const std::uint32_t length_crc = masked_crc32c(std::span(header).first(8));
  std::memcpy(header.data() + 8, &length_crc, 4);
  std::array<std::byte, kFooterBytes> footer{};
  const std::uint32_t payload_crc = masked_crc32c(payload);
  std::memcpy(footer.data(), &payload_crc, 4);

  s.emit(header);
  s.emit(payload);
  s.emit(footer);
  if (s.idx_fd) {
    fmt::format_to(std::back_inserter(s.idx_text), "{} {}\n", s.framed, length + kFramingBytes);
    if (s.idx_text.size() >= kBufferBytes / 4) s.flush_index();
  }
  s.framed += length + kFramingBytes;
  ++s.records;
}

std::uint64_t TfRecordWriter::records() const noexcept {
  return state_ ? state_->records : 0;
}

std::uint64_t TfRecordWriter::file_bytes() const noexcept {
  if (!state_) return 0;
  return state_->compression == TfCompression::none ? state_->framed : state_->written;
}

void TfRecordWriter::finish() {
  if (!state_ || state_->finished) return;
  State& s = *state_;
  s.finished = true;  // a failure below leaves the writer closed, not half-open
  s.flush_buffer();
  if (s.z) {
    s.deflate_chunk({}, Z_FINISH);
    s.z.reset();
  }
  if (::fsync(s.fd.get()) != 0) throw_errno("fsync", s.file.string());
  s.fd.reset();
  if (!s.idx_fd) return;
  s.flush_index();
  if (::fsync(s.idx_fd.get()) != 0) throw_errno("fsync", s.idx_tmp.string());
  s.idx_fd.reset();
  std::filesystem::path idx = s.file;
  idx += ".idx";
  if (::rename(s.idx_tmp.c_str(), idx.c_str()) != 0) throw_errno("rename", idx.string());
  s.idx_tmp.clear();
}

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
  Stream() : buf_(kBufferBytes) {}
  virtual ~Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Makes up to `n` (<= kBufferBytes) bytes available at data(); returns how many are.
  std::size_t ensure(std::size_t n) {
    if (end_ - pos_ < n) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
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
      : fd_(fd), size_(size), path_(path) {}

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
  InflateStream(int fd, TfCompression c, const std::filesystem::path& path)
      : fd_(fd), compression_(c), path_(path), in_(kBufferBytes / 4) {
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
    s = std::make_unique<InflateStream>(fd.get(), stats.compression, file);
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

// ---------------------------------------------------------------------------------------------
// Index sidecar

namespace {

constexpr std::size_t kMaxIndexLine = 256;  // two 20-digit numbers and generous blanks

class IndexParser {
 public:
  IndexParser(const std::filesystem::path& idx, std::uint64_t file_bytes, std::uint32_t file_id)
      : idx_(idx), file_bytes_(file_bytes), file_id_(file_id) {}

  void line(std::string_view text) {
    ++line_;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    if (!parse(text, offset, size))
      fail(fmt::format("expected \"<offset> <size>\", got \"{}\"", text.substr(0, 60)));
    if (line_ > 1 && offset <= prev_offset_)
      fail(fmt::format("offset {} is not after the previous offset {}", offset, prev_offset_));
    if (offset != end_)
      fail(fmt::format("offset {} should be {} (records are contiguous, the first at 0)", offset,
                       end_));
    if (size < kFramingBytes)
      fail(fmt::format("size {} is smaller than the 16 bytes of framing", size));
    if (size > file_bytes_ || offset > file_bytes_ - size)
      fail(fmt::format("record [{}, {}) is beyond the end of the file ({} bytes)", offset,
                       offset + size, file_bytes_));
    if (size - kFramingBytes > UINT32_MAX)
      fail(fmt::format("payload of {} bytes is too large to index (limit 2^32-1)",
                       size - kFramingBytes));
    refs_.push_back(
        {offset + kHeaderBytes, static_cast<std::uint32_t>(size - kFramingBytes), file_id_});
    prev_offset_ = offset;
    end_ = offset + size;
  }

  [[noreturn]] void too_long() {
    ++line_;
    fail("line too long");
  }

  std::vector<SampleRef> finish() {
    ++line_;
    if (end_ != file_bytes_)
      fail(fmt::format("index ends at offset {} but the file has {} bytes", end_, file_bytes_));
    return std::move(refs_);
  }

 private:
  static bool parse(std::string_view text, std::uint64_t& a, std::uint64_t& b) {
    const char* p = text.data();
    const char* end = p + text.size();
    const auto blank = [&] {
      const char* start = p;
      while (p < end && (*p == ' ' || *p == '\t'))
        ++p;
      return p > start;
    };
    const auto number = [&](std::uint64_t& v) {
      const auto r = std::from_chars(p, end, v);
      if (r.ec != std::errc{} || r.ptr == p) return false;
      p = r.ptr;
      return true;
    };
    blank();
    if (!number(a) || !blank() || !number(b)) return false;
    blank();
    return p == end;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{}: line {}: {}", idx_.string(), line_, what));
  }

  const std::filesystem::path& idx_;
  std::uint64_t file_bytes_;
  std::uint32_t file_id_;
  std::uint64_t line_ = 0;
  std::uint64_t prev_offset_ = 0;
  std::uint64_t end_ = 0;
  std::vector<SampleRef> refs_;
};

}  // namespace

std::vector<SampleRef> read_tfrecord_index(const std::filesystem::path& file,
                                           std::uint32_t file_id) {
  std::filesystem::path idx = file;
  idx += ".idx";
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw_errno("stat", file.string());
  const UniqueFd fd = open_or_throw(idx, O_RDONLY);
  IndexParser parser(idx, static_cast<std::uint64_t>(st.st_size), file_id);

  std::vector<std::byte> chunk(kBufferBytes);
  std::string partial;
  std::uint64_t offset = 0;
  for (;;) {
    const std::int64_t n = pread_full(fd.get(), chunk.data(), chunk.size(), offset);
    if (n < 0) throw_system(static_cast<int>(-n), "pread", idx.string());
    if (n == 0) break;
    offset += static_cast<std::uint64_t>(n);
    std::string_view text(reinterpret_cast<const char*>(chunk.data()), static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos;
         text.remove_prefix(nl + 1)) {
      if (partial.empty()) {
        parser.line(text.substr(0, nl));
      } else {
        partial.append(text.substr(0, nl));
        parser.line(partial);
        partial.clear();
      }
    }
    partial.append(text);
    if (partial.size() > kMaxIndexLine) parser.too_long();
  }
  if (!partial.empty()) parser.line(partial);  // a last line without its newline
  return parser.finish();
}

}  // namespace aistor::formats
