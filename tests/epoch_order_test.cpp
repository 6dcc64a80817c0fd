// EpochOrder and BatchPipeline: every sample exactly once per epoch in every shuffle mode, seeded
// orders, and the pipeline's claim/take/epoch rules under real threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "workloads/samples/batch_pipeline.hpp"
#include "workloads/samples/epoch_order.hpp"

namespace aistor {
namespace {

std::vector<std::uint64_t> epoch_of(const EpochOrder& o, unsigned e) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < o.samples(); ++i)
    v.push_back(o.at(e, i));
  return v;
}

bool is_permutation_of_all(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  for (std::uint64_t i = 0; i < v.size(); ++i)
    if (v[i] != i) return false;
  return true;
}

TEST(EpochOrder, GlobalVisitsEverySampleOnceInANewOrderEachEpoch) {
  for (std::uint64_t n : {1u, 2u, 7u, 1000u, 4097u}) {
    EpochOrder o(ShuffleMode::global, n, {}, 42, 3);
    const auto e0 = epoch_of(o, 0);
    const auto e1 = epoch_of(o, 1);
    EXPECT_TRUE(is_permutation_of_all(e0)) << n;
    EXPECT_TRUE(is_permutation_of_all(e1)) << n;
    if (n >= 7) {
      EXPECT_NE(e0, e1) << n;
    }
    EXPECT_EQ(e0, epoch_of(EpochOrder(ShuffleMode::global, n, {}, 42, 3), 0));
    if (n >= 7) {
      EXPECT_NE(e0, epoch_of(EpochOrder(ShuffleMode::global, n, {}, 43, 3), 0));
    }
  }
}

TEST(EpochOrder, NoneIsSequential) {
  EpochOrder o(ShuffleMode::none, 10, {0, 4, 10}, 1, 2);
  for (unsigned e = 0; e < 2; ++e)
    for (std::uint64_t i = 0; i < 10; ++i)
      EXPECT_EQ(o.at(e, i), i);
}

TEST(EpochOrder, FilesShuffleFilesAndKeepEachFileInOrder) {
  // Five files of 3, 0 (empty), 4, 1 and 2 samples.
  const std::vector<std::uint64_t> starts{0, 3, 3, 7, 8, 10};
  EpochOrder o(ShuffleMode::files, 10, starts, 9, 4);
  std::set<std::vector<std::uint64_t>> orders;
  for (unsigned e = 0; e < 4; ++e) {
    const auto v = epoch_of(o, e);
    ASSERT_TRUE(is_permutation_of_all(v)) << e;
    // Runs of consecutive samples: each file appears as one run, starting at its first sample.
    std::size_t i = 0;
    while (i < v.size()) {
      const auto f = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), v[i]) -
                                              starts.begin() - 1);
      ASSERT_EQ(v[i], starts[f]) << "epoch " << e << " position " << i;
      for (std::uint64_t s = starts[f]; s < starts[f + 1]; ++s, ++i)
        ASSERT_EQ(v[i], s) << "epoch " << e << " position " << i;
    }
    orders.insert(v);
  }
  EXPECT_GT(orders.size(), 1u);
  EXPECT_THROW(EpochOrder(ShuffleMode::files, 10, {0, 5, 9}, 1, 1), std::invalid_argument);
}

TEST(EpochOrder, RanksTogetherVisitEverySampleOnceEachDistributedSamplerStyle) {
  for (std::uint64_t n : {5u, 1000u, 1001u}) {
    for (unsigned ranks : {1u, 2u, 3u, 4u}) {
      const EpochOrder whole(ShuffleMode::global, n, {}, 7, 2);
      for (unsigned e = 0; e < 2; ++e) {
        std::vector<std::uint64_t> all;
        std::uint64_t most = 0;
        std::uint64_t least = n;
        for (unsigned r = 0; r < ranks; ++r) {
          EpochOrder o(ShuffleMode::global, n, {}, 7, 2);
          o.share(r, ranks);
          most = std::max(most, o.share_samples());
          least = std::min(least, o.share_samples());
          for (std::uint64_t k = 0; k < o.share_samples(); ++k) {
            // Rank r's k-th is position k * ranks + r of the epoch's one global order.
            ASSERT_EQ(o.share_at(e, k), whole.at(e, k * ranks + r));
            all.push_back(o.share_at(e, k));
          }
        }
        EXPECT_EQ(all.size(), n) << n << " samples, " << ranks << " ranks";
        EXPECT_TRUE(is_permutation_of_all(all)) << n << " samples, " << ranks << " ranks";
        EXPECT_LE(most - least, 1u);  // shares differ by at most one sample
      }
    }
  }
  EpochOrder o(ShuffleMode::none, 10, {}, 1, 1);
  EXPECT_THROW(o.share(2, 2), std::invalid_argument);
  EXPECT_THROW(o.share(0, 0), std::invalid_argument);
}

TEST(BatchPipeline, ShapesEpochsIntoBatches) {
  BatchPipeline full({10, 4, false, 2, 8}, {}, {});
  EXPECT_EQ(full.batches_per_epoch(), 3u);
  EXPECT_EQ(full.total_batches(), 6u);
  BatchPipeline drop({10, 4, true, 2, 8}, {}, {});
  EXPECT_EQ(drop.batches_per_epoch(), 2u);
  auto t = full.try_claim();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->count, 4u);
  (void)full.try_claim();
  auto last = full.try_claim();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->first, 8u);
  EXPECT_EQ(last->count, 2u);
  EXPECT_FALSE(full.try_claim());  // the next epoch waits for this one to be consumed
  EXPECT_THROW(BatchPipeline({10, 0, false, 1, 1}, {}, {}), std::invalid_argument);
}

// Readers and accelerators on real threads: each batch claimed once, taken in order, never more
// than `prefetch` ahead, epochs never overlapping, hooks in order.
TEST(BatchPipeline, ThreadsSeeEveryBatchOnceInOrderWithEpochBarriers) {
  for (unsigned readers : {1u, 3u}) {
    for (unsigned accels : {1u, 4u}) {
      constexpr std::uint64_t kSamples = 1001;
      constexpr unsigned kEpochs = 3;
      std::mutex mu;
      std::vector<std::string> hooks;
      std::atomic<int> current_epoch{-1};
      BatchPipeline p(
          {kSamples, 10, false, kEpochs, 5},
          [&](unsigned e) {
            std::lock_guard l(mu);
            hooks.push_back("begin " + std::to_string(e));
            current_epoch = static_cast<int>(e);
          },
          [&](unsigned e) {
            std::lock_guard l(mu);
            hooks.push_back("end " + std::to_string(e));
          });
      const std::atomic<bool> stop{false};
      std::vector<int> claimed(p.total_batches(), 0);
      std::vector<std::uint64_t> taken;
      std::atomic<bool> bad_epoch{false};
      std::vector<std::thread> threads;
      for (unsigned r = 0; r < readers; ++r) {
        threads.emplace_back([&] {
          for (;;) {
            while (auto t = p.try_claim()) {
              if (static_cast<int>(t->epoch) != current_epoch.load()) bad_epoch = true;
              {
                std::lock_guard l(mu);
                ++claimed[t->seq];
              }
              p.loaded(t->seq);
            }
            if (!p.wait_for_claim(stop)) return;
          }
        });
      }
      for (unsigned a = 0; a < accels; ++a) {
        threads.emplace_back([&] {
          while (auto t = p.take(stop)) {
            {
              std::lock_guard l(mu);
              taken.push_back(t->seq);
            }
            p.consumed(*t);
          }
        });
      }
      for (auto& t : threads)
        t.join();
      EXPECT_FALSE(bad_epoch);
      for (std::uint64_t s = 0; s < claimed.size(); ++s)
        ASSERT_EQ(claimed[s], 1) << "batch " << s;
      ASSERT_EQ(taken.size(), p.total_batches());
      std::vector<std::uint64_t> sorted = taken;
      std::sort(sorted.begin(), sorted.end());
      for (std::uint64_t s = 0; s < sorted.size(); ++s)
        ASSERT_EQ(sorted[s], s);
      if (accels == 1) {
        EXPECT_TRUE(std::is_sorted(taken.begin(), taken.end()));
      }
      EXPECT_EQ(hooks, (std::vector<std::string>{"begin 0", "end 0", "begin 1", "end 1", "begin 2",
                                                 "end 2"}));
    }
  }
}

TEST(BatchPipeline, PrefetchBoundsClaimsAheadOfTakes) {
  BatchPipeline p({100, 1, false, 1, 3}, {}, {});
  const std::atomic<bool> stop{false};
  for (int i = 0; i < 3; ++i) {
    auto t = p.try_claim();
    ASSERT_TRUE(t);
    p.loaded(t->seq);
  }
  EXPECT_FALSE(p.try_claim());
  auto t = p.take(stop);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seq, 0u);
  EXPECT_TRUE(p.try_claim());
  EXPECT_FALSE(p.try_claim());
}

TEST(BatchPipeline, AbortAndStopWakeWaiters) {
  BatchPipeline p({100, 1, false, 1, 3}, {}, {});
  std::atomic<bool> stop{false};
  std::thread taker([&] { EXPECT_FALSE(p.take(stop)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  p.abort();
  taker.join();
  EXPECT_TRUE(p.aborted());
  BatchPipeline q({100, 1, false, 1, 3}, {}, {});
  std::thread taker2([&] { EXPECT_FALSE(q.take(stop)); });
  stop = true;
  taker2.join();
}

}  // namespace
}  // namespace aistor
