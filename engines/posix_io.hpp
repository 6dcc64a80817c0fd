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

}  // namespace aistor
