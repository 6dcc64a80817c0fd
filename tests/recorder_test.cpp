#include "core/recorder.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace aistor {

TEST(Recorder, CountsSequentialReadsAndNamesThePattern) {
  Recorder r(0, 1'000'000'000);
  for (std::uint64_t i = 0; i < 512; ++i) {
    r.issue(Direction::read, 0, i * 131072, 131072);
    r.record(Direction::read, 0, i * 131072, 131072, 131072, i * 1000, i * 1000 + 500);
  }
  EXPECT_EQ(r.ops(), 512u);
  EXPECT_EQ(r.bytes(), 67108864u);
  EXPECT_EQ(r.stats(Direction::read).sequential_ops, 512u);  // the first starts at 0
  EXPECT_EQ(r.io_pattern(), "r=128K seq");
  EXPECT_EQ(r.combined_latency().quantile(0.5), 500u);
}

TEST(Recorder, RandomWritesAndMixes) {
  Recorder r(0, 1'000'000);
  const std::uint64_t offsets[] = {40960, 4096, 81920, 0, 12288, 1048576};
  for (auto off : offsets)
    r.record(Direction::write, 0, off, 4096, 4096, 0, 10);
  EXPECT_EQ(r.io_pattern(), "w=4K rand");
  r.issue(Direction::read, 1, 4096, 1048576);
  r.record(Direction::read, 1, 4096, 1048576, 1048576, 0, 10);
  EXPECT_EQ(r.io_pattern(), "r=1M rand, w=4K rand");
}

TEST(Recorder, SequentialityFollowsIssueOrderNotCompletionOrder) {
  Recorder r(0, 1'000'000);
  for (std::uint64_t i = 0; i < 4; ++i)
    r.issue(Direction::read, 0, i * 4096, 4096);
  // A deep queue completes them out of order; the pattern is still sequential.
  for (std::uint64_t i : {3, 1, 0, 2})
    r.record(Direction::read, 0, i * 4096, 4096, 4096, 0, 5);
  EXPECT_EQ(r.stats(Direction::read).sequential_fraction(), 1.0);
  EXPECT_EQ(r.io_pattern(), "r=4K seq");
}

TEST(Recorder, ErrorsAreCountedByErrnoWithDetails) {
  Recorder r(0, 1'000'000);
  r.name_file(3, "/data/f");
  r.record(Direction::read, 3, 8192, 4096, -EIO, 0, 1);
  r.record(Direction::read, 3, 12288, 4096, 100, 0, 1);  // short: end of file
  EXPECT_EQ(r.ops(), 0u);
  EXPECT_EQ(r.error_count(), 2u);
  EXPECT_EQ(r.errors().at(EIO), 1u);
  EXPECT_EQ(r.errors().at(ENODATA), 1u);
  ASSERT_EQ(r.error_details().size(), 2u);
  EXPECT_EQ(r.error_details()[0].file, "/data/f");
  EXPECT_EQ(r.error_details()[0].offset, 8192u);
}

TEST(Recorder, TimeSeriesAndMergeLineUp) {
  Recorder a(1000, 100), b(1000, 100);
  a.record(Direction::read, 0, 0, 10, 10, 1000, 1050);   // slot 0
  a.record(Direction::read, 0, 10, 10, 10, 1000, 1250);  // slot 2
  b.record(Direction::read, 0, 0, 20, 20, 1000, 1150);   // slot 1
  a.merge(b);
  EXPECT_EQ(a.series_bytes(), (std::vector<std::uint64_t>{10, 20, 10}));
  EXPECT_EQ(a.series_ops(), (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_EQ(a.first_submit_ns(), 1000u);
  EXPECT_EQ(a.last_done_ns(), 1250u);
}

TEST(Recorder, LittlesLawGivesTheQueueDepth) {
  Recorder r(0, 1'000'000'000);
  // 4 ops in flight at all times: each takes 400 ns, one completes every 100 ns.
  for (std::uint64_t i = 0; i < 1000; ++i)
    r.record(Direction::read, 0, i, 1, 1, i * 100, i * 100 + 400);
  EXPECT_NEAR(r.achieved_queue_depth(), 4.0, 0.05);
}

}  // namespace aistor
