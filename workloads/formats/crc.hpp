#pragma once
// Checksums used by dataset formats. All functions are pure and thread-safe.
//
// crc32c  CRC-32C (Castagnoli, reflected). `crc` is a previous result, so calls chain like zlib's
//         crc32(): crc32c(b, crc32c(a)) == crc32c(a + b); crc32c("123456789") == 0xE3069283.
//         Uses SSE4.2 when the CPU has it (probed once), else a slice-by-8 table.
// masked_crc32c  TFRecord's masked form: rotate right by 15, add 0xa282ead8.
// crc32   zlib's CRC-32 (IEEE), chaining the same way; crc32("123456789") == 0xCBF43926.
//         Folds with PCLMULQDQ when the CPU has it (probed once), else zlib's crc32().
#include <cstddef>
#include <cstdint>
#include <span>

namespace aistor::formats {

[[nodiscard]] std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;
[[nodiscard]] std::uint32_t masked_crc32c(std::span<const std::byte> data) noexcept;
[[nodiscard]] std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

namespace detail {
// The table implementation, same contract as crc32c(); exposed so tests can compare paths.
[[nodiscard]] std::uint32_t crc32c_portable(std::span<const std::byte> data,
                                            std::uint32_t crc = 0) noexcept;
// Whether crc32c() uses the SSE4.2 instruction on this CPU.
[[nodiscard]] bool crc32c_hardware() noexcept;
// zlib's implementation, same contract as crc32().
[[nodiscard]] std::uint32_t crc32_portable(std::span<const std::byte> data,
                                           std::uint32_t crc = 0) noexcept;
// Whether crc32() folds with PCLMULQDQ on this CPU.
[[nodiscard]] bool crc32_hardware() noexcept;
}  // namespace detail

}  // namespace aistor::formats
