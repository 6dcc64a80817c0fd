#include "core/posix_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.hpp"

namespace aistor {

std::int64_t pread_full(int fd, std::byte* buf, std::size_t length, std::uint64_t offset) noexcept {
  std::size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, buf + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -errno;
    }
    if (n == 0) break;  // end of file
    done += static_cast<std::size_t>(n);
  }
  return static_cast<std::int64_t>(done);
}

std::int64_t pwrite_full(int fd, const std::byte* buf, std::size_t length,
                         std::uint64_t offset) noexcept {
  std::size_t done = 0;
  while (done < length) {
    ssize_t n = ::pwrite(fd, buf + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -errno;
    }
    if (n == 0) return -EIO;  // a write that makes no progress would loop forever
    done += static_cast<std::size_t>(n);
  }
  return static_cast<std::int64_t>(done);
}

void start_writeback(int fd, std::uint64_t offset, std::uint64_t length) noexcept {
  (void)::sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(length),
                          SYNC_FILE_RANGE_WRITE);
}

}  // namespace aistor
