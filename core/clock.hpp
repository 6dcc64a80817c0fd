#pragma once
// The one clock of every measurement: steady, nanoseconds since an arbitrary epoch.
#include <cstdint>
#include <ctime>

namespace aistor {

inline std::uint64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace aistor
