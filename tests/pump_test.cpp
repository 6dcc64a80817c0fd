// The pump on a real engine and file: limits, trimming, errors, the stop flag.
#include "engines/pump.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "core/clock.hpp"
#include "core/trace_log.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

// Sequential reads from `start`, forever; wrapping to 0 at `wrap` when given.
class Sequential final : public RequestSource {
 public:
  Sequential(FileId file, std::uint64_t start, std::uint32_t size, std::uint64_t wrap = UINT64_MAX)
      : file_(file), next_(start), size_(size), wrap_(wrap) {}
  bool next(IoRequest& r) override {
    if (next_ + size_ > wrap_) next_ = 0;
    r = {Op::read, file_, next_, size_, nullptr, 0};
    next_ += size_;
    return true;
  }

 private:
  FileId file_;
  std::uint64_t next_;
  std::uint32_t size_;
  std::uint64_t wrap_;
};

class PumpTest : public testing::TestWithParam<EngineConfig> {
 protected:
  void SetUp() override {
    path_ = test::write_pattern_file(dir_.path() / "f", 1 << 20);
    engine_ = make_engine(GetParam());
    file_ = engine_->open(path_, Access::read);
  }
  test::ScratchDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Engine> engine_;
  FileId file_ = 0;
  std::atomic<bool> stop_{false};
};

// Reads that fall due at given times after `base`: none before its time.
class Timed final : public RequestSource {
 public:
  Timed(FileId file, std::uint64_t base, std::vector<std::uint64_t> due)
      : file_(file), base_(base), due_(std::move(due)) {}
  bool next(IoRequest& r) override {
    if (i_ >= due_.size() || now_ns() < base_ + due_[i_]) return false;
    r = {Op::read, file_, 4096 * i_, 4096, nullptr, i_};
    ++i_;
    return true;
  }
  [[nodiscard]] bool waiting() const override { return i_ < due_.size(); }
  [[nodiscard]] std::uint64_t due_ns() const override {
    return i_ < due_.size() ? base_ + due_[i_] : 0;
  }

 private:
  FileId file_;
  std::uint64_t base_;
  std::vector<std::uint64_t> due_;
  std::size_t i_ = 0;
};

TEST_P(PumpTest, ASourceThatIsEarlyIsAskedAgainWhenItsNextRequestIsDue) {
  const std::uint64_t base = now_ns();
  Recorder rec(base, 1'000'000);
  TraceLog log(0, base, 16);
  rec.trace_into(&log);
  Pump pump(*engine_, GetParam().queue_depth, 4096, rec, stop_);
  // Two together at 0, one at 3 ms, one at 6 ms: the pump sleeps between them, then ends.
  Timed src(file_, base, {0, 0, 3'000'000, 6'000'000});
  auto out = pump.run(src, {});
  EXPECT_EQ(out.end, PumpEnd::done);
  EXPECT_GE(now_ns() - base, 6'000'000u);
  ASSERT_EQ(log.ops().size(), 4u);
  const auto ops = log.issue_order();
  const std::uint64_t due[] = {0, 0, 3'000'000, 6'000'000};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_GE(ops[i].start_ns, due[i]) << i;
    EXPECT_EQ(ops[i].offset, 4096 * i) << i;
  }
  // The stop flag ends a wait for a request due far ahead at once.
  Timed late(file_, now_ns(), {60'000'000'000});
  stop_ = true;
  const std::uint64_t t0 = now_ns();
  EXPECT_EQ(pump.run(late, {}).end, PumpEnd::interrupted);
  EXPECT_LT(now_ns() - t0, 1'000'000'000u);
}

TEST_P(PumpTest, AByteLimitIsMetExactlyByTrimmingTheLastRequest) {
  Recorder rec(now_ns(), 1'000'000);
  Pump pump(*engine_, GetParam().queue_depth, 4096, rec, stop_);
  Sequential src(file_, 0, 4096);
  PumpLimits limits;
  limits.bytes = 10000;  // two whole requests and 1808 bytes
  auto out = pump.run(src, limits);
  EXPECT_EQ(out.end, PumpEnd::limit);
  EXPECT_EQ(rec.bytes(), 10000u);
  EXPECT_EQ(rec.ops(), 3u);
  EXPECT_EQ(rec.stats(Direction::read).latency.count(), 3u);
}

TEST_P(PumpTest, StopsAtTheFirstErrorOrCountsThemAll) {
  // Reads run off the end of the 1 MiB file: short results are unexpected ends of file.
  Recorder stop_rec(now_ns(), 1'000'000);
  Pump pump(*engine_, GetParam().queue_depth, 4096, stop_rec, stop_);
  Sequential src(file_, (1 << 20) - 8192, 4096);
  PumpLimits limits;
  limits.ops = 100;
  EXPECT_EQ(pump.run(src, limits).end, PumpEnd::error);
  EXPECT_EQ(stop_rec.ops(), 2u);
  EXPECT_GE(stop_rec.error_count(), 1u);
  EXPECT_EQ(stop_rec.errors().begin()->first, ENODATA);

  Recorder all(now_ns(), 1'000'000);
  Pump counting(*engine_, GetParam().queue_depth, 4096, all, stop_);
  Sequential src2(file_, (1 << 20) - 8192, 4096);
  limits.stop_on_error = false;
  EXPECT_EQ(counting.run(src2, limits).end, PumpEnd::limit);
  EXPECT_EQ(all.ops(), 2u);
  EXPECT_EQ(all.error_count(), 98u);
}

TEST_P(PumpTest, TheStopFlagEndsTheRunAtOnce) {
  Recorder rec(now_ns(), 1'000'000);
  stop_ = true;
  Pump pump(*engine_, GetParam().queue_depth, 4096, rec, stop_);
  Sequential src(file_, 0, 4096);
  EXPECT_EQ(pump.run(src, {}).end, PumpEnd::interrupted);
  EXPECT_EQ(rec.ops(), 0u);
}

TEST_P(PumpTest, OpsInsideTheRampAreNotRecorded) {
  Recorder rec(now_ns(), 1'000'000);
  Pump pump(*engine_, GetParam().queue_depth, 4096, rec, stop_);
  Sequential src(file_, 0, 4096, 1 << 20);
  PumpLimits limits;
  limits.ramp_end_ns = now_ns() + 50'000'000;
  limits.deadline_ns = limits.ramp_end_ns + 50'000'000;
  limits.ops = 200;  // counted after the ramp only
  auto out = pump.run(src, limits);
  EXPECT_GT(out.ramp_ops, 0u);
  EXPECT_LE(rec.ops(), 200u);
  EXPECT_GE(rec.first_submit_ns(), limits.ramp_end_ns);
}

// The whole file, read into one buffer of the source's own: each request lands at its offset.
class IntoRegion final : public RequestSource {
 public:
  IntoRegion(FileId file, std::byte* region, std::uint64_t bytes, std::uint32_t size)
      : file_(file), region_(region), bytes_(bytes), size_(size) {}
  bool next(IoRequest& r) override {
    if (next_ >= bytes_) return false;
    r = {Op::read, file_, next_, size_, region_ + next_, 0};
    next_ += size_;
    return true;
  }

 private:
  FileId file_;
  std::byte* region_;
  std::uint64_t bytes_;
  std::uint32_t size_;
  std::uint64_t next_ = 0;
};

TEST_P(PumpTest, ASourcesOwnBuffersAreUsedAsGiven) {
  constexpr std::uint64_t kBytes = 1 << 20;
  Buffer region = engine_->allocate(kBytes);
  std::memset(region.data(), 0, kBytes);
  Recorder rec(now_ns(), 1'000'000);
  Pump pump(*engine_, GetParam().queue_depth, 0, rec, stop_);  // no buffers of its own
  IntoRegion src(file_, region.data(), kBytes, 16384);
  EXPECT_EQ(pump.run(src, {}).end, PumpEnd::done);
  EXPECT_EQ(rec.ops(), kBytes / 16384);
  std::ifstream in(path_, std::ios::binary);
  std::vector<char> want(kBytes);
  in.read(want.data(), static_cast<std::streamsize>(kBytes));
  EXPECT_EQ(std::memcmp(region.data(), want.data(), kBytes), 0);

  // A request without a buffer, on a pump that has none, is a programming error.
  Sequential bare(file_, 0, 4096);
  EXPECT_THROW((void)pump.run(bare, {}), std::logic_error);
}

EngineConfig engine(const char* name, unsigned qd) {
  EngineConfig c;
  c.name = name;
  c.queue_depth = qd;
  return c;
}

INSTANTIATE_TEST_SUITE_P(Engines, PumpTest,
                         testing::Values(engine("pread", 1), engine("io_uring", 8)),
                         [](const testing::TestParamInfo<EngineConfig>& p) {
                           return p.param.name + std::to_string(p.param.queue_depth);
                         });

}  // namespace
}  // namespace aistor
