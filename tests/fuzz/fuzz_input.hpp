#pragma once
// What the fuzz targets share: the input as a file (readers that take a path read it from an
// in-memory file, /proc/self/fd/N of a memfd), and the rule that hostile input may only ever end
// in InputError (or SystemError for an unreadable file); anything else escapes and is a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace aistor::fuzz {

// The input written to one memfd, reused across runs.
inline std::filesystem::path as_file(const std::uint8_t* data, std::size_t size) {
  static const int fd = ::memfd_create("aistor-fuzz", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (::ftruncate(fd, 0) != 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace aistor::fuzz
