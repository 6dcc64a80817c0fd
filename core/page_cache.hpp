#pragma once
// The kernel page cache as a benchmark sees it: how much of a file is cached, evicting it,
// pre-loading it, and the process's own I/O counters.
//
// residency(file)     bytes of `file` resident in the page cache now (mmap + mincore). The last
//                     page counts only as far as the file reaches, so a fully cached file has
//                     resident_bytes == total_bytes. Throws SystemError (call and path).
// residency(files)    the sum over several files.
// drop_from_cache     fdatasync (dirty pages cannot be evicted) then POSIX_FADV_DONTNEED over the
//                     whole file. Pages another process has mapped may stay. Throws SystemError.
// drop_all_caches     sync(), then "3" into /proc/sys/vm/drop_caches: drops every clean page,
//                     dentry and inode of the machine. Needs root; returns false and, when `why`
//                     is not null, the reason, instead of throwing.
// warm(file)          reads the whole file (pread, 1 MiB chunks) so that it is cached.
//                     Throws SystemError.
// proc_self_io()      /proc/self/io of this process (all its threads); nullopt when unreadable
//                     (kernels without task I/O accounting).
// residency, drop_from_cache and warm also take a directory: every regular file under it, found
// as the directory lists them (no list of paths is kept).
// All are thread-safe; residency and warm map or read but never change the file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace aistor {

struct Residency {
  std::uint64_t resident_bytes = 0;
  std::uint64_t total_bytes = 0;
  // resident_bytes / total_bytes; 1.0 for an empty file (nothing is missing from the cache).
  [[nodiscard]] double fraction() const;
};

[[nodiscard]] Residency residency(const std::filesystem::path& file);
[[nodiscard]] Residency residency(std::span<const std::filesystem::path> files);

void drop_from_cache(const std::filesystem::path& file);

[[nodiscard]] bool drop_all_caches(std::string* why);

void warm(const std::filesystem::path& file);

struct ProcIo {
  std::uint64_t read_bytes;   // bytes this process caused to be fetched from storage
  std::uint64_t write_bytes;  // bytes this process caused to be sent to storage
  std::uint64_t rchar;        // bytes passed to read-like calls, cached or not
  std::uint64_t wchar;        // bytes passed to write-like calls
};

[[nodiscard]] std::optional<ProcIo> proc_self_io();

}  // namespace aistor
