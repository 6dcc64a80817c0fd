#pragma once
// Whole-request synchronous I/O: loops on short transfers, retries EINTR and EAGAIN.
// Returns bytes transferred (less than `length` only at end of file) or -errno.
#include <cstddef>
#include <cstdint>

namespace aistor {

[[nodiscard]] std::int64_t pread_full(int fd, std::byte* buf, std::size_t length,
                                      std::uint64_t offset) noexcept;
[[nodiscard]] std::int64_t pwrite_full(int fd, const std::byte* buf, std::size_t length,
                                       std::uint64_t offset) noexcept;

// Starts writeback of a file range without waiting (sync_file_range WRITE), so a writer that
// syncs once at the end keeps the device busy meanwhile instead of leaving all the writeback for
// that last sync. Best effort: errors surface at the final sync.
void start_writeback(int fd, std::uint64_t offset, std::uint64_t length) noexcept;

}  // namespace aistor
