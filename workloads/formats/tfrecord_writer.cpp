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
// Writer

struct TfRecordWriter::State {
  std::filesystem::path file;
  std::filesystem::path idx_tmp;  // empty when no index is written
  TfCompression compression = TfCompression::none;
  bool fsync_on_finish = true;
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
    if (!fsync_on_finish) start_writeback(fd.get(), written, data.size());
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
    if (data.empty()) return;  // an empty payload has no bytes (and maybe a null pointer)
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

TfRecordWriter::TfRecordWriter(const std::filesystem::path& file, TfCompression compression,
                               bool fsync_on_finish)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.file = file;
  s.fsync_on_finish = fsync_on_finish;
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

TfRecordFrame tfrecord_frame(std::span<const std::byte> payload) {
  TfRecordFrame f;
  const std::uint64_t length = payload.size();
  std::memcpy(f.header.data(), &length, 8);
  const std::uint32_t length_crc = masked_crc32c(std::span(f.header).first(8));
  std::memcpy(f.header.data() + 8, &length_crc, 4);
  const std::uint32_t payload_crc = masked_crc32c(payload);
  std::memcpy(f.footer.data(), &payload_crc, 4);
  return f;
}

void TfRecordWriter::append(std::span<const std::byte> payload) {
  if (!state_ || state_->finished) throw std::logic_error("TfRecordWriter::append after finish");
  State& s = *state_;
  const std::uint64_t length = payload.size();
  const TfRecordFrame frame = tfrecord_frame(payload);
  s.emit(frame.header);
  s.emit(payload);
  s.emit(frame.footer);
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
  if (s.fsync_on_finish && ::fsync(s.fd.get()) != 0) throw_errno("fsync", s.file.string());
  s.fd.reset();
  if (!s.idx_fd) return;
  s.flush_index();
  if (s.fsync_on_finish && ::fsync(s.idx_fd.get()) != 0) {
    throw_errno("fsync", s.idx_tmp.string());
  }
  s.idx_fd.reset();
  std::filesystem::path idx = s.file;
  idx += ".idx";
  if (::rename(s.idx_tmp.c_str(), idx.c_str()) != 0) throw_errno("rename", idx.string());
  s.idx_tmp.clear();
}

}  // namespace aistor::formats
