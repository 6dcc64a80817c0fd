// Request buffers are made before the clock starts: the workloads whose run() drives one Pump make
// its buffers in before_start() and lend them to it, so allocating them (cudaMalloc and an upload
// for a GPU engine) and first touching them is not part of the measured phase.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "engines/pump.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"
#include "workloads/model_load/model_load_workload.hpp"
#include "workloads/raw/raw_workload.hpp"

namespace aistor {
namespace {

// A pread engine that counts allocate() calls and remembers every request's buffer.
class Counting final : public Engine {
 public:
  Counting() : inner_(make_engine(EngineConfig{})) {}
  FileId open(const std::filesystem::path& path, Access access) override {
    return inner_->open(path, access);
  }
  Buffer allocate(std::size_t bytes) override {
    ++allocations;
    return inner_->allocate(bytes);
  }
  void submit(std::span<const IoRequest> requests) override {
    for (const auto& r : requests)
      buffers.insert(r.buf);
    inner_->submit(requests);
  }
  std::size_t reap(std::span<IoResult> out, std::size_t at_least) override {
    return inner_->reap(out, at_least);
  }
  void sync(FileId file) override { inner_->sync(file); }
  void close(FileId file) override { inner_->close(file); }
  std::size_t max_in_flight() const noexcept override { return inner_->max_in_flight(); }
  nlohmann::json describe() const override { return inner_->describe(); }

  unsigned allocations = 0;
  std::set<std::byte*> buffers;

 private:
  std::unique_ptr<Engine> inner_;
};

// Runs before_start() then run() on worker 0; the allocations each made.
struct Counts {
  unsigned before = 0, during = 0;
};
Counts before_and_during(Workload& w, const std::filesystem::path& dir, PumpEnd end) {
  std::atomic<bool> stop{false};
  PhaseEnv env;
  env.dir = dir;
  env.stop = &stop;
  (void)w.prepare(env);
  Counting engine;
  Recorder scratch(now_ns(), 100'000'000), timed(now_ns(), 100'000'000);
  WorkerContext early{0, engine, scratch, stop, 2, true, now_ns(), nullptr};
  w.before_start(early);
  Counts c{engine.allocations, 0};
  WorkerContext ctx{0, engine, timed, stop, 2, true, now_ns(), nullptr};
  w.run(ctx);
  EXPECT_EQ(ctx.outcome.end, end);
  c.during = engine.allocations - c.before;
  EXPECT_GT(timed.ops(), 0u);
  return c;
}

TEST(UntimedBuffers, ARawWorkerAllocatesNothingOnceTimed) {
  test::ScratchDir dir;
  const nlohmann::json j{{"rw", "read"}, {"size", "4MiB"}, {"block_size", "256KiB"}};
  ConfigNode node(j, "phase");
  RawWorkload w(RawWorkload::parse(node));
  const Counts c = before_and_during(w, dir.path(), PumpEnd::limit);
  EXPECT_EQ(c.before, 1u);  // queue depth 2, capped by pread's one request in flight
  EXPECT_EQ(c.during, 0u);
}

TEST(UntimedBuffers, AModelLoadWorkerAllocatesNothingOnceTimed) {
  test::ScratchDir dir;
  const nlohmann::json j{{"model", {{"size", "4MiB"}, {"format", "safetensors"}}},
                         {"chunk_size", "1MiB"}};
  ConfigNode node(j, "phase");
  ModelLoadWorkload w(ModelLoadWorkload::parse(node));
  const Counts c = before_and_during(w, dir.path(), PumpEnd::done);
  EXPECT_GT(c.before, 0u);
  EXPECT_EQ(c.during, 0u);
}

TEST(UntimedBuffers, APumpUsesOnlyTheBuffersLentToIt) {
  test::ScratchDir dir;
  const auto path = test::write_pattern_file(dir.path() / "f", 1 << 20);
  Counting engine;
  const PumpBuffers lent(engine, 4, 64 << 10);
  ASSERT_EQ(lent.buffers().size(), lent.depth());
  const unsigned made = engine.allocations;
  std::atomic<bool> stop{false};
  Recorder rec(now_ns(), 100'000'000);
  Pump pump(engine, lent, rec, stop);
  const FileId f = engine.open(path, Access::read);
  class Whole final : public RequestSource {
   public:
    explicit Whole(FileId f) : f_(f) {}
    bool next(IoRequest& r) override {
      if (at_ >= (1u << 20)) return false;
      r = {Op::read, f_, at_, 64 << 10, nullptr, 0};
      at_ += 64 << 10;
      return true;
    }

   private:
    FileId f_;
    std::uint64_t at_ = 0;
  } source(f);
  EXPECT_EQ(pump.run(source, {}).end, PumpEnd::done);
  EXPECT_EQ(rec.bytes(), 1u << 20);
  EXPECT_EQ(engine.allocations, made);
  std::set<std::byte*> lent_at;
  for (const auto& b : lent.buffers())
    lent_at.insert(b.data());
  for (std::byte* b : engine.buffers)
    EXPECT_TRUE(lent_at.contains(b));
  engine.close(f);

  Counting other;
  EXPECT_THROW(Pump(other, lent, rec, stop), std::logic_error);
}

}  // namespace
}  // namespace aistor
