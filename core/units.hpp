#pragma once
// Unit strings of configs and reports.
//
// Sizes: "512", "4KiB", "128K" (K/M/G/T and KiB/MiB/GiB/TiB are powers of 1024), "4.7GB"
// (KB/MB/GB/TB are powers of 1000), "B" bytes. Durations: "250us", "10ms", "1.5s", "2m", "1h",
// "ns"; a bare number is seconds. Parsers return nullopt for anything else (the caller names the
// place).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aistor {

[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);
[[nodiscard]] std::optional<std::uint64_t> parse_duration_ns(std::string_view text);

// "128K", "4K", "1M", "1.5M" — the short form of the I/O pattern strings.
[[nodiscard]] std::string short_size(std::uint64_t bytes);
// "1.23 GiB", "512 B" — for tables.
[[nodiscard]] std::string human_bytes(double bytes);
// "12.3 us", "4.56 ms" — for tables.
[[nodiscard]] std::string human_ns(double ns);

}  // namespace aistor
