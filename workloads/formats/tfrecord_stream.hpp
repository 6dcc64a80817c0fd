#pragma once
// A push parser for TFRecord streams: the bytes of a file arrive in pieces of any size (as an
// engine reads them), are inflated when the file is GZIP or ZLIB, and every complete record is
// handed out with its index and the offset of its length field in the uncompressed stream.
//
// Memory: the inflate window, a 256 KiB output piece and the bytes of one incomplete record.
// Length CRCs are always checked, payload CRCs with `verify_crc`. Corruption throws InputError
// "<name>: record <i> at offset <o>: <what>", as scan_tfrecord does. Not thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "workloads/formats/tfrecord.hpp"

namespace aistor::formats {

class TfRecordStreamParser {
 public:
  using OnRecord = std::function<void(std::uint64_t index, std::uint64_t offset,
                                      std::span<const std::byte> payload)>;

  TfRecordStreamParser(TfCompression compression, std::string name, bool verify_crc);
  ~TfRecordStreamParser();
  TfRecordStreamParser(const TfRecordStreamParser&) = delete;
  TfRecordStreamParser& operator=(const TfRecordStreamParser&) = delete;

  // The next bytes of the file.
  void push(std::span<const std::byte> bytes, const OnRecord& on_record);
  // The file ended: throws InputError when it ended inside a record or a compressed stream.
  void finish();

  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  // CPU time this thread spent inside zlib's inflate (0 for an uncompressed stream).
  [[nodiscard]] std::uint64_t inflate_cpu_ns() const noexcept { return inflate_cpu_ns_; }

 private:
  struct Inflater;
  void parse(const OnRecord& on_record);
  [[noreturn]] void fail(const std::string& what) const;

  TfCompression compression_;
  std::string name_;
  bool verify_crc_;
  std::unique_ptr<Inflater> inflater_;
  std::vector<std::byte> pending_;  // uncompressed bytes from `pending_offset_` on
  std::size_t pending_start_ = 0;   // bytes of pending_ already parsed
  std::uint64_t pending_offset_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t inflate_cpu_ns_ = 0;
};

}  // namespace aistor::formats
