#include "core/recorder.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/recorder_json.hpp"

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

TEST(Recorder, EachDirectionIsSequentialOnItsOwnAndAReopenedFileStartsAfresh) {
  Recorder r(0, 1'000'000);
  // A copy within one file: reads run ahead of writes, each stream sequential (fio keeps a last
  // position per direction too).
  for (std::uint64_t i = 0; i < 4; ++i) {
    r.issue(Direction::read, 0, i * 4096, 4096);
    r.issue(Direction::write, 0, i * 4096, 4096);
  }
  EXPECT_EQ(r.stats(Direction::read).sequential_ops, 4u);
  EXPECT_EQ(r.stats(Direction::write).sequential_ops, 4u);
  // Id 0 closed and reused for another file, named as it opens: its first op at 0 is sequential.
  r.name_file(0, "other");
  r.issue(Direction::read, 0, 0, 4096);
  EXPECT_EQ(r.stats(Direction::read).sequential_ops, 5u);
  // Not named again: a jump back to 0 is a seek.
  r.issue(Direction::read, 0, 0, 4096);
  EXPECT_EQ(r.stats(Direction::read).sequential_ops, 5u);
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
  EXPECT_EQ(describe(r.error_details()[0]),
            "EIO (Input/output error): read of /data/f at offset 8192 (4096 bytes)");
  EXPECT_EQ(describe(r.error_details()[1]),
            "short read of /data/f at offset 12288: 100 of 4096 bytes");
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

// A recorder with something in every field: reads and writes of two sizes, errors with details,
// issue order, file names, a time series.
Recorder busy_recorder() {
  Recorder r(1000, 100);
  r.name_file(0, "/data/a");
  r.name_file(2, "/data/c");
  for (std::uint64_t i = 0; i < 50; ++i) {
    r.issue(Direction::read, 0, i * 4096, 4096);
    r.record(Direction::read, 0, i * 4096, 4096, 4096, 1000 + i * 10, 1100 + i * 37);
  }
  r.issue(Direction::write, 2, 1 << 20, 131072);
  r.record(Direction::write, 2, 1 << 20, 131072, 131072, 1200, 9000);
  r.record(Direction::read, 2, 0, 4096, -EIO, 1300, 1400);
  r.record(Direction::write, 0, 0, 4096, -ENOSPC, 1300, 1400);
  return r;
}

TEST(Recorder, WireFormRoundTripsEveryField) {
  const Recorder r = busy_recorder();
  const std::string wire = r.to_wire();
  Recorder back = Recorder::from_wire(wire);
  EXPECT_EQ(to_json(back).dump(), to_json(r).dump());
  EXPECT_EQ(back.to_wire(), wire);
  ASSERT_EQ(back.error_details().size(), 2u);
  EXPECT_EQ(back.error_details()[0].file, "/data/c");
  EXPECT_EQ(back.error_details()[1].err, ENOSPC);
  // Issue order survives too: the next read of file 0 continues the sequence in both.
  Recorder original = r;
  original.issue(Direction::read, 0, 50 * 4096, 4096);
  back.issue(Direction::read, 0, 50 * 4096, 4096);
  EXPECT_EQ(back.stats(Direction::read).sequential_ops, 51u);
  EXPECT_EQ(back.to_wire(), original.to_wire());
}

TEST(Recorder, MalformedWireFormsAreInputErrors) {
  const std::string wire = busy_recorder().to_wire();
  for (std::size_t n = 0; n < wire.size(); n += n < 64 || n + 64 > wire.size() ? 1 : 997) {
    EXPECT_THROW((void)Recorder::from_wire(std::string_view(wire).substr(0, n)), InputError) << n;
  }
  EXPECT_THROW((void)Recorder::from_wire(wire + "x"), InputError);
  std::string bad = wire;
  bad[0] ^= 1;
  EXPECT_THROW((void)Recorder::from_wire(bad), InputError);
  // A count far beyond the bytes left is refused before anything is allocated for it.
  bad = wire;
  const std::size_t sizes_at = 8 * 3 + 8 * 4 + sizeof(LatencyHistogram);  // read sizes count
  const std::uint64_t huge = 1ULL << 60;
  std::memcpy(bad.data() + sizes_at, &huge, sizeof huge);
  try {
    (void)Recorder::from_wire(bad);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "recorder wire form: bad count at byte " +
                                         std::to_string(sizes_at + 8) + " of " +
                                         std::to_string(wire.size()));
  }
}

}  // namespace aistor
