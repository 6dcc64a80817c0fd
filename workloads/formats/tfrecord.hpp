#pragma once
// TensorFlow's TFRecord framing, bit-exact. Each record is
//   u64 length (little-endian) | u32 masked_crc32c(length bytes) | payload | u32
//   masked_crc32c(payload)
// optionally with the whole stream compressed by zlib (gzip or zlib wrapper), as TensorFlow's
// ZlibOutputBuffer writes it.
//
// Uncompressed files get a DALI-style index sidecar "<file>.idx" (tfrecord2idx text format): one
// line "<offset> <size>\n" per record, offset = where the record's length field starts, size = the
// whole framed record (16 + payload length).
//
// Errors: bad file contents throw InputError with one line
//   "<file>: record <i> at offset <o>: <what>"   (offsets in the uncompressed stream)
// bad index contents "<file>.idx: line <n>: <what>"; failed system calls throw SystemError.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "workloads/formats/sample_ref.hpp"

namespace aistor::formats {

enum class TfCompression { none, gzip, zlib };

// One record's framing around its payload: the header (length, the masked CRC-32C of the length's
// bytes) and the footer (the payload's masked CRC-32C).
struct TfRecordFrame {
  std::array<std::byte, 12> header{};
  std::array<std::byte, 4> footer{};
};
inline constexpr std::uint64_t kTfRecordFramingBytes = 16;
[[nodiscard]] TfRecordFrame tfrecord_frame(std::span<const std::byte> payload);

// Writes one TFRecord file. Move-only; not thread-safe. Writes are buffered (~1 MiB) and issued
// at increasing offsets; nothing is durable before finish().
class TfRecordWriter {
 public:
  // Creates or truncates `file` (and removes a stale "<file>.idx"). Throws SystemError.
  // `fsync_on_finish` false starts writeback as data is written and leaves the final sync to the
  // caller (a generator syncs the whole
  // filesystem once at the end instead of once per file).
  explicit TfRecordWriter(const std::filesystem::path& file,
                          TfCompression compression = TfCompression::none,
                          bool fsync_on_finish = true);
  TfRecordWriter(TfRecordWriter&&) noexcept;
  TfRecordWriter& operator=(TfRecordWriter&&) noexcept;
  TfRecordWriter(const TfRecordWriter&) = delete;
  TfRecordWriter& operator=(const TfRecordWriter&) = delete;
  // Closes as finish() would, swallowing errors; call finish() to see them.
  ~TfRecordWriter();

  // Frames and appends one record. Throws SystemError (ENOSPC included); std::logic_error after
  // finish().
  void append(std::span<const std::byte> payload);

  [[nodiscard]] std::uint64_t records() const noexcept;
  // Bytes of the file: uncompressed, the framed bytes appended so far; compressed, the compressed
  // bytes produced so far (the file's final size once finish() has run).
  [[nodiscard]] std::uint64_t file_bytes() const noexcept;

  // Flushes, ends the compressed stream, fsyncs, closes, and (uncompressed only) writes
  // "<file>.idx" atomically (via a temporary and rename). Idempotent. Throws SystemError.
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct TfRecordStats {
  std::uint64_t records = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t file_bytes = 0;  // size of the file on disk (compressed size if compressed)
  TfCompression compression = TfCompression::none;
};

// Called once per record with its index, the offset of its length field (in the uncompressed
// stream) and its payload, which is valid only during the call.
using TfRecordVisitor = std::function<void(std::uint64_t index, std::uint64_t offset,
                                           std::span<const std::byte> payload)>;

// Reads every record of `file`, detecting compression by magic bytes (a file whose first 12 bytes
// are a valid TFRecord length header is read as uncompressed even if they look like a zlib
// header). Memory is bounded: ~1 MiB of read buffer plus the largest record present (never more
// than the file's size when uncompressed). Payload CRCs are checked only with `verify_crc`;
// length CRCs always. An empty file holds 0 records. Throws InputError, SystemError.
[[nodiscard]] TfRecordStats scan_tfrecord(const std::filesystem::path& file, bool verify_crc,
                                          const TfRecordVisitor& visit = {});

// The compression of a TFRecord file, judged from its first bytes as scan_tfrecord judges it.
// Throws SystemError when the file cannot be read.
[[nodiscard]] TfCompression detect_tfrecord_compression(const std::filesystem::path& file);

// Reads "<file>.idx" and returns where each payload lives (offset + 12, size - 16), checking that
// the lines are "<offset> <size>", start at 0, are contiguous, and end exactly at the file's size.
// Uses 16 bytes per record. Throws InputError, SystemError.
[[nodiscard]] std::vector<SampleRef> read_tfrecord_index(const std::filesystem::path& file,
                                                         std::uint32_t file_id);

// Builds the same by scanning an uncompressed file (InputError for a compressed one).
[[nodiscard]] std::vector<SampleRef> index_tfrecord(const std::filesystem::path& file,
                                                    std::uint32_t file_id, bool verify_crc);

}  // namespace aistor::formats
