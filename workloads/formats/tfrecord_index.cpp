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
