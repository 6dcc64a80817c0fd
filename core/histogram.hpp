#pragma once
// A log-linear latency histogram in nanoseconds, mergeable, fixed size, no allocation on record.
//
// Values below 256 ns have a bucket each; above, every power of two [2^e, 2^(e+1)) is cut into
// 128 equal buckets, so a bucket is at most 1/128 of its lower bound wide. Quantiles report the
// bucket's midpoint: relative error <= 0.4 % (<= 0.79 % against either edge), from 1 ns to 2^48 ns
// (78 hours); larger values land in the top bucket. min, max, mean and stdev are exact.
// Not thread-safe: one per worker, merged after the phase.
#include <array>
#include <cstdint>
#include <vector>

namespace aistor {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 7;                 // 128 buckets per octave
  static constexpr unsigned kMaxExponent = 48;            // covers up to 2^48 ns
  static constexpr std::size_t kLinear = 2u << kSubBits;  // 256 exact buckets
  static constexpr std::size_t kBuckets =
      kLinear + (kMaxExponent - kSubBits - 1) * (1u << kSubBits);

  void record(std::uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++count_;
    sum_ += static_cast<double>(ns);
    sum_sq_ += static_cast<double>(ns) * static_cast<double>(ns);
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  void merge(const LatencyHistogram& other) noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] double mean() const noexcept;
  [[nodiscard]] double stdev() const noexcept;
  // q in [0, 1]; the midpoint of the bucket holding the q-th value, clamped to [min, max].
  [[nodiscard]] std::uint64_t quantile(double q) const noexcept;

  [[nodiscard]] static std::size_t index_of(std::uint64_t ns) noexcept {
    if (ns < kLinear) return static_cast<std::size_t>(ns);
    unsigned e = 63u - static_cast<unsigned>(__builtin_clzll(ns));
    if (e >= kMaxExponent) return kBuckets - 1;
    unsigned shift = e - kSubBits;
    return kLinear + (e - kSubBits - 1) * (1u << kSubBits) +
           static_cast<std::size_t>((ns >> shift) - (1u << kSubBits));
  }
  [[nodiscard]] static std::uint64_t lower_bound(std::size_t index) noexcept;
  [[nodiscard]] static std::uint64_t width(std::size_t index) noexcept;

  // Non-empty buckets as (lower bound ns, count), ascending.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets() const;

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  double sum_ = 0;
  double sum_sq_ = 0;
};

}  // namespace aistor
