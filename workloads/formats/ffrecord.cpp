#include "workloads/formats/ffrecord.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <zlib.h>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "workloads/formats/crc.hpp"

namespace aistor::formats {

// The arrays are written and read as they lie in memory; ffrecord's layout is little-endian.
static_assert(std::endian::native == std::endian::little,
              "ffrecord I/O assumes a little-endian host");

namespace {

constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;
constexpr std::size_t kIndexBatch = std::size_t{1} << 16;  // header entries held before writing
constexpr std::size_t kVerifyBuffer = std::size_t{4} << 20;
constexpr std::uint64_t kFixedHeader = 12;  // checksum_meta + N
constexpr std::uint64_t kChecksumsAt = 12;

[[noreturn]] void bad_input(const std::filesystem::path& file, std::uint64_t offset,
                            std::string_view what) {
  throw InputError(fmt::format("{}: offset {}: {}", file.string(), offset, what));
}

void write_at(int fd, const std::filesystem::path& path, std::span<const std::byte> bytes,
              std::uint64_t offset) {
  auto res = pwrite_full(fd, bytes.data(), bytes.size(), offset);
  if (res < 0) throw_system(static_cast<int>(-res), "pwrite", path.string());
}

// Reads exactly `out.size()` bytes; a file that ends first is bad input (it was cut short).
void read_at(int fd, const std::filesystem::path& path, std::span<std::byte> out,
             std::uint64_t offset, std::string_view what) {
  auto res = pread_full(fd, out.data(), out.size(), offset);
  if (res < 0) throw_system(static_cast<int>(-res), "pread", path.string());
  auto got = static_cast<std::uint64_t>(res);
  if (got < out.size()) {
    bad_input(path, offset + got,
              fmt::format("{}: file ends after {} of {} bytes", what, got, out.size()));
  }
}

// Offsets must start right after the header, never decrease, stay inside the file and leave every
// sample under 4 GiB (SampleRef::length is 32-bit). `offsets_at` is where the array lies.
void check_offsets(const std::filesystem::path& file, std::span<const std::uint64_t> offsets,
                   std::uint64_t size, std::uint64_t offsets_at) {
  const std::uint64_t count = offsets.size();
  const std::uint64_t header_end = ffrecord_header_bytes(count);
  std::uint64_t previous = header_end;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t o = offsets[i];
    const std::uint64_t field = offsets_at + 8 * i;
    if (i == 0 && o != header_end) {
      bad_input(
          file, field,
          fmt::format("sample 0: offset {} out of order (samples start at {})", o, header_end));
    }
    if (o < previous) {
      bad_input(file, field,
                fmt::format("sample {}: offset {} out of order (sample {} starts at {})", i, o,
                            i - 1, previous));
    }
    if (o > size) {
      bad_input(file, field, fmt::format("sample {}: offset {} beyond end ({} bytes)", i, o, size));
    }
    if (i > 0 && o - previous > std::numeric_limits<std::uint32_t>::max()) {
      bad_input(file, field - 8,
                fmt::format("sample {}: length {} over 4 GiB", i - 1, o - previous));
    }
    previous = o;
  }
  if (count > 0 && size - previous > std::numeric_limits<std::uint32_t>::max()) {
    bad_input(file, offsets_at + 8 * (count - 1),
              fmt::format("sample {}: length {} over 4 GiB", count - 1, size - previous));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FfRecordWriter

FfRecordWriter::FfRecordWriter(const std::filesystem::path& file, std::uint64_t samples,
                               bool fsync_on_finish)
    : path_(file), samples_(samples), fsync_on_finish_(fsync_on_finish) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (samples_ > (kMax - kFixedHeader) / 12) {
    throw InputError(
        fmt::format("{}: {} samples do not fit in an ffrecord file", path_.string(), samples_));
  }
  fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd_) throw_errno("open", path_.string());
  checksums_.reserve(std::min<std::uint64_t>(samples_, kIndexBatch));
  offsets_.reserve(std::min<std::uint64_t>(samples_, kIndexBatch));
  const auto n = static_cast<std::int64_t>(samples_);
  checksums_crc_ = crc32(std::as_bytes(std::span(&n, 1)));
  end_ = buffered_at_ = ffrecord_header_bytes(samples_);
}

FfRecordWriter& FfRecordWriter::operator=(FfRecordWriter&& other) noexcept {
  if (this != &other) {
    abandon();
    path_ = std::move(other.path_);
    fd_ = std::move(other.fd_);
    samples_ = other.samples_;
    fsync_on_finish_ = other.fsync_on_finish_;
    appended_ = other.appended_;
    indexed_ = other.indexed_;
    checksums_crc_ = other.checksums_crc_;
    offsets_crc_ = other.offsets_crc_;
    checksums_ = std::move(other.checksums_);
    offsets_ = std::move(other.offsets_);
    buffer_ = std::move(other.buffer_);
    buffered_at_ = other.buffered_at_;
    end_ = other.end_;
    finished_ = other.finished_;
  }
  return *this;
}

void FfRecordWriter::abandon() noexcept {
  // Unfinished data has no valid header; an empty file says so plainly. Errors are moot here.
  if (fd_ && !finished_) (void)::ftruncate(fd_.get(), 0);
  fd_.reset();
}

void FfRecordWriter::append(std::span<const std::byte> payload) {
  if (finished_) throw std::logic_error(path_.string() + ": append after finish");
  if (appended_ >= samples_) {
    throw std::logic_error(
        fmt::format("{}: more than the {} samples announced", path_.string(), samples_));
  }
  if (payload.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument(
        fmt::format("{}: a {}-byte sample is over 4 GiB", path_.string(), payload.size()));
  }
  const std::uint32_t crc = crc32(payload);
  if (buffer_.size() + payload.size() > kWriteBuffer) flush();
  if (payload.size() >= kWriteBuffer) {
    // Large payloads skip the copy; the buffer is empty here, so order is kept.
    write_at(fd_.get(), path_, payload, end_);
    if (!fsync_on_finish_) start_writeback(fd_.get(), end_, payload.size());
    buffered_at_ = end_ + payload.size();
  } else {
    if (buffer_.capacity() < kWriteBuffer) buffer_.reserve(kWriteBuffer);
    buffer_.insert(buffer_.end(), payload.begin(), payload.end());
  }
  checksums_.push_back(crc);
  offsets_.push_back(end_);
  ++appended_;
  end_ += payload.size();
  if (offsets_.size() >= kIndexBatch) flush_index();
}

void FfRecordWriter::flush_index() {
  if (offsets_.empty()) return;
  auto checksum_bytes = std::as_bytes(std::span(checksums_));
  auto offset_bytes = std::as_bytes(std::span(offsets_));
  write_at(fd_.get(), path_, checksum_bytes, kChecksumsAt + 4 * indexed_);
  write_at(fd_.get(), path_, offset_bytes, kChecksumsAt + 4 * samples_ + 8 * indexed_);
  checksums_crc_ = crc32(checksum_bytes, checksums_crc_);
  offsets_crc_ = crc32(offset_bytes, offsets_crc_);
  indexed_ += offsets_.size();
  checksums_.clear();
  offsets_.clear();
}

void FfRecordWriter::flush() {
  if (buffer_.empty()) return;
  write_at(fd_.get(), path_, buffer_, buffered_at_);
  if (!fsync_on_finish_) start_writeback(fd_.get(), buffered_at_, buffer_.size());
  buffered_at_ += buffer_.size();
  buffer_.clear();
}

void FfRecordWriter::finish() {
  if (finished_) return;
  if (appended_ != samples_) {
    throw std::logic_error(
        fmt::format("{}: finish after {} of {} samples", path_.string(), appended_, samples_));
  }
  flush();
  flush_index();
  // CRC(N ++ checksums ++ offsets) from CRC(N ++ checksums) and CRC(offsets).
  const auto meta = static_cast<std::uint32_t>(
      ::crc32_combine64(checksums_crc_, offsets_crc_, static_cast<z_off64_t>(8 * samples_)));
  const auto n = static_cast<std::int64_t>(samples_);
  std::byte fixed[kFixedHeader];
  std::memcpy(fixed, &meta, 4);
  std::memcpy(fixed + 4, &n, 8);
  write_at(fd_.get(), path_, fixed, 0);
  // fsync has reported any deferred write error, so close's own result adds nothing.
  if (fsync_on_finish_ && ::fsync(fd_.get()) != 0) throw_errno("fsync", path_.string());
  fd_.reset();
  finished_ = true;
  checksums_ = {};
  offsets_ = {};
  buffer_ = {};
}

// ---------------------------------------------------------------------------------------------
// FfRecordFile

FfRecordFile FfRecordFile::open(const std::filesystem::path& file, std::uint32_t file_id) {
  FfRecordFile f;
  f.path_ = file;
  f.file_id_ = file_id;
  f.fd_ = UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f.fd_) throw_errno("open", file.string());
  struct stat st {};
  if (::fstat(f.fd_.get(), &st) != 0) throw_errno("fstat", file.string());
  const auto size = static_cast<std::uint64_t>(st.st_size);
  f.file_bytes_ = size;
  if (size < kFixedHeader) {
    bad_input(file, 0,
              fmt::format("file too short for a header ({} of {} bytes)", size, kFixedHeader));
  }

  std::byte fixed[kFixedHeader];
  read_at(f.fd_.get(), file, fixed, 0, "header");
  std::uint32_t stored_meta = 0;
  std::int64_t n = 0;
  std::memcpy(&stored_meta, fixed, 4);
  std::memcpy(&n, fixed + 4, 8);
  // Checked before anything is allocated: the arrays must fit in the file.
  if (n < 0 || static_cast<std::uint64_t>(n) > (size - kFixedHeader) / 12) {
    bad_input(file, 4, fmt::format("N={} does not fit in {} bytes", n, size));
  }
  const auto count = static_cast<std::uint64_t>(n);
  f.checksums_.resize(count);
  f.offsets_.resize(count);
  auto checksum_bytes = std::as_writable_bytes(std::span(f.checksums_));
  auto offset_bytes = std::as_writable_bytes(std::span(f.offsets_));
  const std::uint64_t offsets_at = kChecksumsAt + checksum_bytes.size();
  read_at(f.fd_.get(), file, checksum_bytes, kChecksumsAt, "checksums");
  read_at(f.fd_.get(), file, offset_bytes, offsets_at, "offsets");

  std::uint32_t meta = crc32(std::span<const std::byte>(fixed + 4, 8));
  meta = crc32(checksum_bytes, meta);
  meta = crc32(offset_bytes, meta);
  if (meta != stored_meta) {
    bad_input(file, 0,
              fmt::format("meta checksum mismatch (stored {:#010x}, computed {:#010x})",
                          stored_meta, meta));
  }

  check_offsets(file, f.offsets_, size, offsets_at);
  return f;
}

std::uint64_t FfRecordFile::end_of(std::uint64_t i) const noexcept {
  return i + 1 < offsets_.size() ? offsets_[i + 1] : file_bytes_;
}

SampleRef FfRecordFile::ref(std::uint64_t i) const {
  if (i >= offsets_.size()) {
    throw std::out_of_range(fmt::format("{}: sample {} of {}", path_.string(), i, offsets_.size()));
  }
  // open() checked that every length fits in 32 bits.
  return SampleRef{offsets_[i], static_cast<std::uint32_t>(end_of(i) - offsets_[i]), file_id_};
}

std::uint32_t FfRecordFile::checksum(std::uint64_t i) const {
  if (i >= checksums_.size()) {
    throw std::out_of_range(
        fmt::format("{}: sample {} of {}", path_.string(), i, checksums_.size()));
  }
  return checksums_[i];
}

void FfRecordFile::read(std::uint64_t i, std::span<std::byte> out) const {
  const SampleRef r = ref(i);
  if (out.size() != r.length) {
    throw std::invalid_argument(fmt::format("{}: sample {} has {} bytes, buffer {}", path_.string(),
                                            i, r.length, out.size()));
  }
  read_at(fd_.get(), path_, out, r.offset, fmt::format("sample {}", i));
}

void FfRecordFile::verify(const std::function<void(std::uint64_t i)>& progress) const {
  const std::uint64_t count = offsets_.size();
  if (count == 0) return;
  // Samples lie back to back from offsets_[0] to the end of the file, so one sequential stream
  // covers them all and a sample may straddle buffer refills.
  const std::uint64_t data_begin = offsets_[0];
  const std::uint64_t data_end = file_bytes_;
  std::vector<std::byte> buffer(std::min<std::uint64_t>(kVerifyBuffer, data_end - data_begin));
  std::uint64_t buffer_at = data_begin;  // file offset of buffer[0]
  std::size_t filled = 0;
  std::uint64_t pos = data_begin;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t begin = offsets_[i];
    const std::uint64_t end = end_of(i);
    std::uint32_t crc = 0;
    while (pos < end) {
      if (pos >= buffer_at + filled) {
        buffer_at = pos;
        const auto want = std::min<std::uint64_t>(buffer.size(), data_end - pos);
        auto res = pread_full(fd_.get(), buffer.data(), static_cast<std::size_t>(want), pos);
        if (res < 0) throw_system(static_cast<int>(-res), "pread", path_.string());
        filled = static_cast<std::size_t>(res);
        if (filled == 0) {
          bad_input(path_, pos,
                    fmt::format("sample {}: file ends after {} of {} bytes", i, pos - begin,
                                end - begin));
        }
      }
      const auto from = static_cast<std::size_t>(pos - buffer_at);
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(filled - from, end - pos));
      crc = crc32(std::span<const std::byte>(buffer.data() + from, take), crc);
      pos += take;
    }
    if (crc != checksums_[i]) {
      throw InputError(fmt::format(
          "{}: sample {} at offset {}: checksum mismatch (stored {:#010x}, computed {:#010x})",
          path_.string(), i, begin, checksums_[i], crc));
    }
    if (progress) progress(i);
  }
}

}  // namespace aistor::formats
