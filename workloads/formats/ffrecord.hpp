#pragma once
// HFAiLab ffrecord (.ffr) files: a header that indexes every sample, then the samples back to back.
//
// Layout (little-endian; ffrecord's own writer/reader, github.com/HFAiLab/ffrecord):
//   u32 checksum_meta | i64 N | u32 checksums[N] | u64 offsets[N] | sample 0 | ... | sample N-1
// checksums[i] is zlib's CRC-32 of sample i; offsets[i] is its absolute byte offset in the file.
// Sample i ends where sample i+1 starts; the last one ends at the end of the file.
// checksum_meta is one CRC-32 (seed 0) over the bytes of N, then checksums[], then offsets[] —
// i.e. over file bytes [4, 12 + 12N). A dataset may span several .ffr files.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "core/unique_fd.hpp"
#include "workloads/formats/sample_ref.hpp"

namespace aistor::formats {

// Bytes taken by the header of a file of `samples` samples (no overflow check).
[[nodiscard]] constexpr std::uint64_t ffrecord_header_bytes(std::uint64_t samples) noexcept {
  return 12 + 12 * samples;
}

// Writes one .ffr file of exactly `samples` samples. Payloads go out sequentially through a 1 MiB
// buffer; per-sample checksums and offsets are written into the header space reserved for them
// every 64 Ki samples, so memory stays under 2 MiB whatever the count; checksum_meta is kept as
// two running CRCs joined by crc32_combine, so nothing is read back. finish() writes the fixed
// header and fsyncs. Not thread-safe. A writer destroyed (or assigned over) before
// finish() succeeded truncates its file to 0 bytes without throwing, so a half-written file is
// never mistaken for a dataset (FfRecordFile::open rejects it as too short).
class FfRecordWriter {
 public:
  // Creates or truncates `file`. Throws SystemError when it cannot be opened, InputError when
  // `samples` cannot be indexed in a file (header larger than 2^63 bytes).
  // `fsync_on_finish` false starts writeback as data is written and leaves the final sync to the
  // caller (see TfRecordWriter).
  FfRecordWriter(const std::filesystem::path& file, std::uint64_t samples,
                 bool fsync_on_finish = true);
  FfRecordWriter(FfRecordWriter&&) noexcept = default;
  FfRecordWriter& operator=(FfRecordWriter&& other) noexcept;
  FfRecordWriter(const FfRecordWriter&) = delete;
  FfRecordWriter& operator=(const FfRecordWriter&) = delete;
  ~FfRecordWriter() { abandon(); }

  // Appends the next sample (may be empty). Throws std::logic_error past `samples` appends or
  // after finish(), std::invalid_argument for a payload over 4 GiB (SampleRef::length is 32-bit),
  // SystemError when a write fails (ENOSPC, EIO).
  void append(std::span<const std::byte> payload);

  // Writes the header and fsyncs, then closes the file. Throws std::logic_error unless exactly
  // `samples` samples were appended, SystemError on write or fsync failure (a later call retries).
  // Idempotent once it has succeeded.
  void finish();

  [[nodiscard]] std::uint64_t appended() const noexcept { return appended_; }
  // Bytes the file will have once finished (header plus the payloads appended so far).
  [[nodiscard]] std::uint64_t file_bytes() const noexcept { return end_; }

 private:
  void flush();
  void flush_index();
  void abandon() noexcept;

  std::filesystem::path path_;
  UniqueFd fd_;
  std::uint64_t samples_ = 0;
  bool fsync_on_finish_ = true;
  std::uint64_t appended_ = 0;
  std::uint64_t indexed_ = 0;             // entries already written into the header
  std::uint32_t checksums_crc_ = 0;       // CRC-32 of N and checksums[0, indexed_)
  std::uint32_t offsets_crc_ = 0;         // CRC-32 of offsets[0, indexed_) alone
  std::vector<std::uint32_t> checksums_;  // entries [indexed_, appended_)
  std::vector<std::uint64_t> offsets_;
  std::vector<std::byte> buffer_;  // pending payload bytes, destined for [buffered_at_, end_)
  std::uint64_t buffered_at_ = 0;
  std::uint64_t end_ = 0;
  bool finished_ = false;
};

// One open .ffr file: its fd and its validated header (the raw checksums and offsets arrays, 12
// bytes a sample; refs are built on demand). Move-only; const members are safe to call from
// several threads at once (pread only).
class FfRecordFile {
 public:
  // Opens `file` and validates its header; `file_id` goes into every SampleRef. Allocation is
  // bounded by the file's size. Throws SystemError when the file cannot be opened or read and
  // InputError "<file>: offset <o>: <what>" when the header is malformed: too short, N that does
  // not fit, a meta checksum mismatch, offsets out of order or beyond the end, a sample over 4 GiB.
  [[nodiscard]] static FfRecordFile open(const std::filesystem::path& file, std::uint32_t file_id);

  FfRecordFile(FfRecordFile&&) noexcept = default;
  FfRecordFile& operator=(FfRecordFile&&) noexcept = default;
  FfRecordFile(const FfRecordFile&) = delete;
  FfRecordFile& operator=(const FfRecordFile&) = delete;
  ~FfRecordFile() = default;

  [[nodiscard]] std::uint64_t size() const noexcept { return offsets_.size(); }
  // Sample `i` (< size(), else std::out_of_range): its offset, length and this file's id.
  [[nodiscard]] SampleRef ref(std::uint64_t i) const;
  // Stored CRC-32 of sample `i` (< size(), else std::out_of_range).
  [[nodiscard]] std::uint32_t checksum(std::uint64_t i) const;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] std::uint32_t file_id() const noexcept { return file_id_; }
  // Size of the file when it was opened.
  [[nodiscard]] std::uint64_t file_bytes() const noexcept { return file_bytes_; }

  // Reads sample `i` into `out`, whose size must equal ref(i).length (else std::invalid_argument).
  // Does not check the CRC. Throws SystemError on a read error, InputError when the file ends
  // early.
  void read(std::uint64_t i, std::span<std::byte> out) const;

  // Reads every sample in order through a bounded buffer (at most 4 MiB, less for small files) and
  // checks its CRC-32; calls `progress(i)` after sample i checks out. Throws InputError
  // "<file>: sample <i> at offset <o>: checksum mismatch (stored .., computed ..)" or when the file
  // ends early, SystemError on a read error.
  void verify(const std::function<void(std::uint64_t i)>& progress = {}) const;

 private:
  FfRecordFile() = default;
  [[nodiscard]] std::uint64_t end_of(std::uint64_t i) const noexcept;

  std::filesystem::path path_;
  UniqueFd fd_;
  std::uint32_t file_id_ = 0;
  std::uint64_t file_bytes_ = 0;
  std::vector<std::uint32_t> checksums_;
  std::vector<std::uint64_t> offsets_;
};

}  // namespace aistor::formats
