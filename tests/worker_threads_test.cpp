// A thread workload's workers: before_start untimed on every worker before any run, its I/O
// kept out of the phase's recorders; a worker whose before_start throws means no run at all.
#include "workloads/runner/worker_threads.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

// Reads one file whole in 64 KiB requests, on the pump.
class WholeFile final : public RequestSource {
 public:
  WholeFile(FileId file, std::uint64_t bytes) : file_(file), bytes_(bytes) {}
  bool next(IoRequest& r) override {
    if (next_ >= bytes_) return false;
    r = {Op::read, file_, next_, 65536, nullptr, 0};
    next_ += 65536;
    return true;
  }

 private:
  FileId file_;
  std::uint64_t bytes_;
  std::uint64_t next_ = 0;
};

// before_start reads the file once (I/O that must not count) and notes the time; run reads it
// again. `fail_at` makes that worker's before_start throw.
class Recording final : public Workload {
 public:
  Recording(std::filesystem::path file, unsigned workers, int fail_at)
      : file_(std::move(file)), workers_(workers), fail_at_(fail_at) {}
  unsigned workers() const override { return workers_; }
  Goal goal() const override { return {}; }
  std::vector<std::filesystem::path> prepare(const PhaseEnv&) override { return {file_}; }
  void before_start(WorkerContext& ctx) override {
    if (static_cast<int>(ctx.index) == fail_at_) throw std::runtime_error("no state for you");
    read(ctx);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(mutex_);
    events_.push_back("before " + std::to_string(ctx.index));
  }
  void run(WorkerContext& ctx) override {
    {
      std::lock_guard lock(mutex_);
      events_.push_back("run " + std::to_string(ctx.index));
    }
    read(ctx);
  }
  std::vector<std::string> events() const { return events_; }

 private:
  void read(WorkerContext& ctx) {
    const FileId id = ctx.engine.open(file_, Access::read);
    Pump pump(ctx.engine, 1, 65536, ctx.recorder, ctx.stop);
    WholeFile source(id, 1 << 20);
    ctx.outcome = pump.run(source, {});
    ctx.engine.close(id);
  }
  std::filesystem::path file_;
  unsigned workers_;
  int fail_at_;
  std::mutex mutex_;
  std::vector<std::string> events_;
};

std::vector<std::unique_ptr<WorkerSlot>> slots(unsigned n) {
  std::vector<std::unique_ptr<WorkerSlot>> out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(std::make_unique<WorkerSlot>());
    EngineConfig c;
    c.name = "pread";
    out.back()->engine = make_engine(c);
  }
  return out;
}

TEST(WorkerThreads, BeforeStartRunsOnEveryWorkerBeforeAnyRunAndIsNotRecorded) {
  test::ScratchDir dir;
  const auto file = test::write_pattern_file(dir.path() / "f", 1 << 20);
  PhaseSpec spec;
  Recording workload(file, 3, -1);
  auto s = slots(3);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(before_start_workers(spec, workload, s, stop));
  const std::uint64_t start = now_ns();
  for (auto& slot : s)
    slot->recorder = std::make_unique<Recorder>(start, spec.interval_ns);
  run_workers(spec, workload, start, s, stop, nullptr);
  const auto events = workload.events();
  ASSERT_EQ(events.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_TRUE(events[i].starts_with("before ")) << events[i];
  for (std::size_t i = 3; i < 6; ++i)
    EXPECT_TRUE(events[i].starts_with("run ")) << events[i];
  for (const auto& slot : s) {
    EXPECT_TRUE(slot->error.empty()) << slot->error;
    EXPECT_EQ(slot->outcome.end, PumpEnd::done);
    // Only the timed read: 1 MiB in 16 requests, each submitted after the clock started.
    EXPECT_EQ(slot->recorder->bytes(), 1u << 20);
    EXPECT_EQ(slot->recorder->ops(), 16u);
    EXPECT_GE(slot->recorder->first_submit_ns(), start);
  }
}

TEST(WorkerThreads, AFailedBeforeStartIsReportedAndNothingRuns) {
  test::ScratchDir dir;
  const auto file = test::write_pattern_file(dir.path() / "f", 1 << 20);
  PhaseSpec spec;
  Recording workload(file, 2, 1);
  auto s = slots(2);
  std::atomic<bool> stop{false};
  EXPECT_FALSE(before_start_workers(spec, workload, s, stop));
  EXPECT_TRUE(s[0]->error.empty());
  EXPECT_EQ(s[1]->error, "no state for you");
  EXPECT_EQ(workload.events(), std::vector<std::string>{"before 0"});
}

}  // namespace
}  // namespace aistor
