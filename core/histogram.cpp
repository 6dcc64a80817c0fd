#include "core/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace aistor {

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  sum_sq_ += other.sum_sq_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::mean() const noexcept {
  return count_ ? sum_ / static_cast<double>(count_) : 0.0;
}

double LatencyHistogram::stdev() const noexcept {
  if (count_ < 2) return 0.0;
  double n = static_cast<double>(count_);
  double var = (sum_sq_ - sum_ * sum_ / n) / (n - 1);
  return var > 0 ? std::sqrt(var) : 0.0;
}

std::uint64_t LatencyHistogram::lower_bound(std::size_t index) noexcept {
  if (index < kLinear) return index;
  std::size_t rel = index - kLinear;
  unsigned e = static_cast<unsigned>(rel >> kSubBits) + kSubBits + 1;
  std::uint64_t sub = rel & ((1u << kSubBits) - 1);
  return ((1ULL << kSubBits) + sub) << (e - kSubBits);
}

std::uint64_t LatencyHistogram::width(std::size_t index) noexcept {
  if (index < kLinear) return 1;
  unsigned e = static_cast<unsigned>((index - kLinear) >> kSubBits) + kSubBits + 1;
  return 1ULL << (e - kSubBits);
}

std::uint64_t LatencyHistogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the q-th value, 1-based, as "nearest rank" defines it.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      std::uint64_t mid = lower_bound(i) + (width(i) - 1) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> LatencyHistogram::buckets() const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) out.emplace_back(lower_bound(i), counts_[i]);
  }
  return out;
}

}  // namespace aistor
