#pragma once
// Untimed preparation of data files: a file of exactly `size` bytes of seeded pseudo-random
// (incompressible) content, written with pwrite and fsync'ed; or, for a phase that only writes,
// space allocated without data (posix_fallocate, as fio does by default), so its writes are to a
// new file as fio's are. A file that already has at least that size is kept as it is. Stops early
// (throws InputError "interrupted") when *stop becomes true. Throws InputError when the filesystem
// lacks the free space, SystemError on I/O failure.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <span>

namespace aistor {

struct LayoutFile {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::uint64_t seed = 0;
  bool fill = true;  // false: allocate only
};

// Returns the bytes written (0 when every file already existed at its size).
std::uint64_t lay_out(std::span<const LayoutFile> files, const std::atomic<bool>* stop);

}  // namespace aistor
