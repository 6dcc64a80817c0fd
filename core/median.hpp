#pragma once
// The median of a sample: the middle value, or the mean of the two middle values.
#include <algorithm>
#include <vector>

namespace aistor {

// `v` must not be empty.
[[nodiscard]] inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace aistor
