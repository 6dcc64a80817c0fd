#include "core/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace aistor {

TEST(Histogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 0; v < 256; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 256u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
  EXPECT_EQ(h.quantile(0.5), 127u);  // nearest rank 128 → value 127
  EXPECT_EQ(h.quantile(1.0), 255u);
  EXPECT_DOUBLE_EQ(h.mean(), 127.5);
}

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  for (std::size_t i = 1; i < LatencyHistogram::kBuckets; ++i) {
    ASSERT_EQ(LatencyHistogram::lower_bound(i),
              LatencyHistogram::lower_bound(i - 1) + LatencyHistogram::width(i - 1))
        << "bucket " << i;
  }
  for (std::uint64_t v : {256ull, 257ull, 1000ull, 65535ull, 1ull << 40, (1ull << 48) - 1}) {
    auto i = LatencyHistogram::index_of(v);
    EXPECT_LE(LatencyHistogram::lower_bound(i), v);
    EXPECT_LT(v, LatencyHistogram::lower_bound(i) + LatencyHistogram::width(i));
  }
}

TEST(Histogram, RelativeErrorBelowOnePercentFromNanosecondsToHours) {
  // Every value alone: the reported quantile must be within 1 % of it.
  double worst = 0;
  for (double v = 1; v < 3.6e12 * 10; v *= 1.0137) {
    LatencyHistogram h;
    auto x = static_cast<std::uint64_t>(v);
    h.record(x);
    h.record(x + 1);  // so the answer comes from the bucket, not the exact min/max clamp
    h.record(x + 1);
    double q = static_cast<double>(h.quantile(0.0));
    worst = std::max(worst, std::abs(q - static_cast<double>(x)) / static_cast<double>(x));
  }
  EXPECT_LT(worst, 0.01);
}

TEST(Histogram, QuantilesOfAKnownDistribution) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v)
    h.record(v * 1000);  // 1 us .. 100 ms uniform
  auto near = [](std::uint64_t got, double want) {
    return std::abs(static_cast<double>(got) - want) / want < 0.01;
  };
  EXPECT_TRUE(near(h.quantile(0.5), 50e6)) << h.quantile(0.5);
  EXPECT_TRUE(near(h.quantile(0.99), 99e6)) << h.quantile(0.99);
  EXPECT_TRUE(near(h.quantile(0.999), 99.9e6)) << h.quantile(0.999);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_NEAR(h.mean(), 50000500.0, 1e-3);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 2.0);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0})
    EXPECT_EQ(a.quantile(q), all.quantile(q));
  EXPECT_EQ(a.buckets(), all.buckets());
}

TEST(Histogram, HugeValuesLandInTheTopBucket) {
  LatencyHistogram h;
  h.record(UINT64_MAX);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(LatencyHistogram::index_of(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

}  // namespace aistor
