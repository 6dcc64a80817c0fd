#pragma once
// Pieces shared by the TFRecord writer, reader and index parser (not part of the public API).
#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/tfrecord.hpp"

namespace aistor::formats::tfrecord_detail {

inline constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
inline constexpr std::size_t kHeaderBytes = 12;  // u64 length + u32 masked crc
inline constexpr std::size_t kFooterBytes = 4;   // u32 masked crc of the payload
inline constexpr std::uint64_t kFramingBytes = kHeaderBytes + kFooterBytes;
static_assert(kFramingBytes == kTfRecordFramingBytes);

template <typename T>
inline T load(
    const std::byte* p) noexcept {  // TFRecord is little-endian, as is every host we target
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::string_view name_of(TfCompression c) {
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

inline UniqueFd open_or_throw(const std::filesystem::path& path, int flags, mode_t mode = 0) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) throw_errno("open", path.string());
  return fd;
}

inline void write_all(int fd, std::span<const std::byte> data, std::uint64_t offset,
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

}  // namespace aistor::formats::tfrecord_detail
