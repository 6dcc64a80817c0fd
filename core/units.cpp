#include "core/units.hpp"

#include <fmt/format.h>
#include <array>
#include <charconv>
#include <cmath>
#include <span>

namespace aistor {
namespace {

struct Suffix {
  std::string_view text;
  double factor;
};

// Splits "4.7GB" into 4.7 and "GB"; nullopt unless the number part is a plain non-negative decimal.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  std::size_t i = 0;
  bool digits = false;
  bool dot = false;
  while (i < text.size()) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
    ++i;
  }
  if (!digits) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, value);
  if (ec != std::errc() || ptr != text.data() + i) return std::nullopt;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ')
    unit.remove_prefix(1);
  return std::pair{value, unit};
}

std::optional<double> factor_of(std::string_view unit, std::span<const Suffix> table) {
  for (const auto& s : table) {
    if (s.text == unit) return s.factor;
  }
  return std::nullopt;
}

constexpr double kKi = 1024.0;
constexpr std::array kSizeSuffixes{
    Suffix{"", 1.0},
    Suffix{"B", 1.0},
    Suffix{"K", kKi},
    Suffix{"KiB", kKi},
    Suffix{"k", kKi},
    Suffix{"KB", 1e3},
    Suffix{"kB", 1e3},
    Suffix{"M", kKi* kKi},
    Suffix{"MiB", kKi* kKi},
    Suffix{"MB", 1e6},
    Suffix{"G", kKi* kKi* kKi},
    Suffix{"GiB", kKi* kKi* kKi},
    Suffix{"GB", 1e9},
    Suffix{"T", kKi* kKi* kKi* kKi},
    Suffix{"TiB", kKi* kKi* kKi* kKi},
    Suffix{"TB", 1e12},
};
constexpr std::array kTimeSuffixes{
    Suffix{"", 1e9},   Suffix{"s", 1e9},  Suffix{"ns", 1.0},   Suffix{"us", 1e3},
    Suffix{"ms", 1e6}, Suffix{"m", 60e9}, Suffix{"min", 60e9}, Suffix{"h", 3600e9},
};

std::optional<std::uint64_t> scaled(std::string_view text, std::span<const Suffix> table) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto factor = factor_of(parts->second, table);
  if (!factor) return std::nullopt;
  double v = std::round(parts->first * *factor);
  if (!(v >= 0.0) || v >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  return scaled(text, kSizeSuffixes);
}

std::optional<std::uint64_t> parse_duration_ns(std::string_view text) {
  return scaled(text, kTimeSuffixes);
}

std::string short_size(std::uint64_t bytes) {
  constexpr std::array units{"", "K", "M", "G", "T"};
  std::size_t u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024.0 && u + 1 < units.size()) {
    v /= 1024.0;
    ++u;
  }
  if (v == std::floor(v)) return fmt::format("{}{}", static_cast<std::uint64_t>(v), units[u]);
  return fmt::format("{:.1f}{}", v, units[u]);
}

std::string human_bytes(double bytes) {
  constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t u = 0;
  while (bytes >= 1024.0 && u + 1 < units.size()) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", bytes, units[u])
                : fmt::format("{:.2f} {}", bytes, units[u]);
}

std::string human_ns(double ns) {
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

}  // namespace aistor
