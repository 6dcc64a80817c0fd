// Integration: the raw workload through the runner on real files, one engine at a time, with the
// exact counts a storage engineer would compute by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "core/random_bytes.hpp"
#include "engines/pump.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor {
namespace {

class RawPerEngine : public testing::TestWithParam<nlohmann::json> {
 protected:
  void SetUp() override {
    const auto name = GetParam()["name"].get<std::string>();
    Availability a = find_engine(name)->probe(dir_.path());
    if (!a.available) GTEST_SKIP() << name << " unavailable here: " << a.reason;
  }
  test::ScratchDir dir_;
};

// A write-only phase writes to a new, allocated file (as fio does), not over laid-out data: past
// what the phase wrote the file reads back as zeros.
TEST(RawWorkload, WriteOnlyPhasesAllocateTheirFileWithoutFillingIt) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(), {{"workload", "raw"},
                                            {"rw", "write"},
                                            {"size", "8MiB"},
                                            {"io_size", "1MiB"},
                                            {"block_size", "128KiB"},
                                            {"file_name", "w"},
                                            {"cache", "as-is"},
                                            {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["bytes"], 1 << 20);
  const auto file = dir.path() / "w.0";
  ASSERT_EQ(std::filesystem::file_size(file), 8u << 20);
  std::ifstream in(file, std::ios::binary);
  std::vector<char> head(1 << 20), tail(1 << 20);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  in.seekg(7 << 20);
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  EXPECT_NE(std::count(head.begin(), head.end(), 0), static_cast<long>(head.size()));
  EXPECT_EQ(std::count(tail.begin(), tail.end(), 0), static_cast<long>(tail.size()));
}

TEST_P(RawPerEngine, SequentialRead64MiBIn128KiBIsExactly512Ops) {
  auto phase = test::run_phase(dir_.path(), {{"workload", "raw"},
                                             {"rw", "read"},
                                             {"size", "64MiB"},
                                             {"block_size", "128KiB"},
                                             {"engine", GetParam()}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["ops"], 512);
  EXPECT_EQ(phase["bytes"], 67108864);
  EXPECT_EQ(phase["read"]["ops"], 512);
  EXPECT_EQ(phase["write"]["ops"], 0);
  EXPECT_EQ(phase["latency_ns"]["count"], 512);
  EXPECT_EQ(phase["io_pattern"]["summary"], "r=128K seq");
  EXPECT_DOUBLE_EQ(phase["io_pattern"]["sequential_fraction"].get<double>(), 1.0);
  EXPECT_EQ(phase["io_pattern"]["sizes"]["131072"], 512);
  EXPECT_EQ(phase["errors"]["count"], 0);
  EXPECT_GT(phase["bytes_per_s"].get<double>(), 0.0);
}

TEST_P(RawPerEngine, RandomRead16MiBIn4KiBTouchesEveryBlockOnce) {
  auto phase = test::run_phase(dir_.path(), {{"workload", "raw"},
                                             {"rw", "randread"},
                                             {"size", "16MiB"},
                                             {"block_size", "4KiB"},
                                             {"engine", GetParam()}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["ops"], 4096);
  EXPECT_EQ(phase["bytes"], 16777216);
  EXPECT_EQ(phase["io_pattern"]["summary"], "r=4K rand");
  EXPECT_LT(phase["io_pattern"]["sequential_fraction"].get<double>(), 0.01);
}

TEST_P(RawPerEngine, SequentialWriteWithFsync) {
  auto phase = test::run_phase(dir_.path(), {{"workload", "raw"},
                                             {"rw", "write"},
                                             {"size", "8MiB"},
                                             {"block_size", "1MiB"},
                                             {"fsync_at_end", true},
                                             {"engine", GetParam()}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["ops"], 8);
  EXPECT_EQ(phase["write"]["bytes"], 8388608);
  EXPECT_EQ(phase["io_pattern"]["summary"], "w=1M seq");
}

INSTANTIATE_TEST_SUITE_P(
    Engines, RawPerEngine,
    testing::Values(nlohmann::json{{"name", "pread"}},
                    nlohmann::json{{"name", "pread"}, {"direct", true}},
                    nlohmann::json{{"name", "odirect"}}, nlohmann::json{{"name", "mmap"}},
                    nlohmann::json{{"name", "mmap"}, {"madvise", "random"}, {"populate", true}},
                    nlohmann::json{{"name", "io_uring"}, {"queue_depth", 32}},
                    nlohmann::json{{"name", "io_uring"}, {"queue_depth", 32}, {"direct", true}},
                    nlohmann::json{{"name", "io_uring"},
                                   {"queue_depth", 4},
                                   {"fixed_buffers", false},
                                   {"registered_files", false}}),
    [](const testing::TestParamInfo<nlohmann::json>& p) {
      std::string n;
      for (const auto& [k, v] : p.param.items()) {
        n += k == "name" ? v.get<std::string>() : "_" + k;
      }
      return n + "_" + std::to_string(p.index);
    });

TEST(RawWorkload, SharedFileSplitsTheRegionBetweenThreads) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(), {{"workload", "raw"},
                                            {"rw", "read"},
                                            {"size", "8MiB"},
                                            {"block_size", "64KiB"},
                                            {"threads", 2},
                                            {"file_per_thread", false},
                                            {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["ops"], 128);
  EXPECT_EQ(phase["bytes"], 8388608);
  EXPECT_EQ(phase["workers"], 2);
  EXPECT_EQ(phase["io_pattern"]["summary"], "r=64K seq");
}

TEST(RawWorkload, MixedReadWriteHonoursTheMixAndSizeSplit) {
  test::ScratchDir dir;
  auto phase = test::run_phase(
      dir.path(),
      {{"workload", "raw"},
       {"rw", "randrw"},
       {"rwmixread", 70},
       {"size", "16MiB"},
       {"io_size", "8MiB"},
       {"bssplit", {{{"size", "4KiB"}, {"weight", 3}}, {{"size", "16KiB"}, {"weight", 1}}}},
       {"engine", {{"name", "io_uring"}, {"queue_depth", 8}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["bytes"], 8388608);
  double reads = phase["read"]["ops"].get<double>();
  double ops = phase["ops"].get<double>();
  EXPECT_NEAR(reads / ops, 0.70, 0.05);
  double small = phase["io_pattern"]["sizes"]["4096"].get<double>();
  EXPECT_NEAR(small / ops, 0.75, 0.05);
}

TEST(RawWorkload, AnOpLimitStopsAtExactlyThatManyOps) {
  test::ScratchDir dir;
  auto phase =
      test::run_phase(dir.path(), {{"workload", "raw"},
                                   {"rw", "randread"},
                                   {"size", "16MiB"},
                                   {"block_size", "4KiB"},
                                   {"ops", 100},
                                   {"engine", {{"name", "io_uring"}, {"queue_depth", 16}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["ops"], 100);
  EXPECT_EQ(phase["bytes"], 409600);
  EXPECT_EQ(phase["worker_ends"][0], "limit");
}

TEST(RawWorkload, RepeatKeepsEveryRepetitionAndTheirMedian) {
  test::ScratchDir dir;
  nlohmann::json config{{"dir", dir.path().string()},
                        {"phases",
                         {{{"name", "r"},
                           {"workload", "raw"},
                           {"size", "4MiB"},
                           {"block_size", "1MiB"},
                           {"repeat", 3}}}}};
  RunOutcome out = run_plan(make_plan(config, std::nullopt), {});
  ASSERT_EQ(out.phases.size(), 3u);
  for (unsigned i = 0; i < 3; ++i)
    EXPECT_EQ(out.phases[i]["repetition"], i);
  ASSERT_EQ(out.repetitions.size(), 1u);
  const auto& r = out.repetitions[0];
  EXPECT_EQ(r["ok"], 3);
  std::vector<double> v;
  for (const auto& p : out.phases)
    v.push_back(p["bytes_per_s"].get<double>());
  std::sort(v.begin(), v.end());
  EXPECT_DOUBLE_EQ(r["bytes_per_s"]["median"].get<double>(), v[1]);
  EXPECT_DOUBLE_EQ(r["bytes_per_s"]["min"].get<double>(), v[0]);
}

TEST(RawWorkload, TimeBasedRunsForItsRuntimeAfterRamp) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(), {{"workload", "raw"},
                                            {"rw", "randread"},
                                            {"size", "4MiB"},
                                            {"block_size", "4KiB"},
                                            {"runtime", "600ms"},
                                            {"ramp", "200ms"},
                                            {"time_based", true},
                                            {"cache", "warm"},
                                            {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  // Loops over the 1024 blocks many times; duration counts only the measured 600 ms.
  EXPECT_GT(phase["ops"].get<std::uint64_t>(), 1024u);
  EXPECT_NEAR(phase["duration_s"].get<double>(), 0.6, 0.1);
  EXPECT_EQ(phase["cache"]["resident_fraction_before"], 1.0);
}

TEST(RawWorkload, ColdCacheDropsTheFilesPagesAndSaysWhatItFound) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(), {{"workload", "raw"},
                                            {"rw", "read"},
                                            {"size", "16MiB"},
                                            {"block_size", "1MiB"},
                                            {"cache", "cold"},
                                            {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["cache"]["policy"], "cold");
  EXPECT_LT(phase["cache"]["resident_fraction_before"].get<double>(), 0.5);
  // What the kernel really read from storage sits beside what was delivered.
  EXPECT_GT(phase["storage_read_bytes"].get<std::uint64_t>(), 8u << 20);
}

TEST(RawWorkload, AFailedCellIsDataAndTheRunGoesOn) {
  test::ScratchDir dir;
  nlohmann::json config{
      {"dir", dir.path().string()},
      {"phases",
       {{{"workload", "raw"}, {"size", "1MiB"}, {"dir", "/proc/aistor-cannot-exist"}},
        {{"workload", "raw"}, {"size", "1MiB"}, {"block_size", "1MiB"}}}}};
  RunOutcome out = run_plan(make_plan(config, std::nullopt), {});
  ASSERT_EQ(out.phases.size(), 2u);
  EXPECT_EQ(out.phases[0]["status"], "failed");
  EXPECT_NE(out.phases[0]["error"].get<std::string>().find("/proc/aistor-cannot-exist"),
            std::string::npos);
  EXPECT_EQ(out.phases[1]["status"], "ok");
  EXPECT_EQ(out.status, Status::failed);
}

// A user's file is never written into, nor extended, unless the phase says "overwrite".
TEST(RawWorkload, FilesAistorDidNotCreateAreOnlyReadUnlessOverwriteIsGiven) {
  test::ScratchDir dir;
  const auto user = test::write_pattern_file(dir.path() / "precious.0", 1 << 20, 5);
  auto unchanged = [&] {
    std::ifstream in(user, std::ios::binary);
    std::vector<char> now((std::istreambuf_iterator<char>(in)), {});
    std::vector<std::byte> want(1 << 20);
    fill_random(want.data(), want.size(), 5);
    return now.size() == want.size() && std::memcmp(now.data(), want.data(), want.size()) == 0;
  };
  nlohmann::json write{{"workload", "raw"},
                       {"rw", "write"},
                       {"size", "1MiB"},
                       {"block_size", "64KiB"},
                       {"file_name", "precious"}};
  auto phase = test::run_phase(dir.path(), write);
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"], user.string() + ": exists and aistor did not create it (it is not in " +
                                (dir.path() / "aistor-files.json").string() +
                                "): a write phase would overwrite it; give \"overwrite\": true to "
                                "allow that, or another file_name");
  EXPECT_TRUE(unchanged());

  // Reading it is fine when it is large enough; a layout that would extend it is refused.
  nlohmann::json read = write;
  read["rw"] = "read";
  EXPECT_EQ(test::run_phase(dir.path(), read)["status"], "ok");
  read["size"] = "2MiB";
  phase = test::run_phase(dir.path(), read);
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"], user.string() +
                                ": exists, aistor did not create it, and it holds "
                                "1048576 bytes, less than the phase's size 2097152: "
                                "aistor lays data only into files it made");
  EXPECT_TRUE(unchanged());

  std::filesystem::create_symlink(user, dir.path() / "link.0");
  write["file_name"] = "link";
  write["overwrite"] = true;
  phase = test::run_phase(dir.path(), write);
  EXPECT_EQ(phase["error"], (dir.path() / "link.0").string() +
                                ": exists and is not a regular file (a symbolic link): the raw "
                                "workload reads and writes only files");
  EXPECT_TRUE(unchanged());

  write["file_name"] = "precious";
  EXPECT_EQ(test::run_phase(dir.path(), write)["status"], "ok");  // told explicitly
  EXPECT_FALSE(unchanged());
}

TEST(RawWorkload, FilesItCreatedAreListedAndWrittenAgain) {
  test::ScratchDir dir;
  nlohmann::json write{{"workload", "raw"},
                       {"rw", "write"},
                       {"size", "1MiB"},
                       {"block_size", "64KiB"},
                       {"threads", 2}};
  EXPECT_EQ(test::run_phase(dir.path(), write)["status"], "ok");
  EXPECT_EQ(test::run_phase(dir.path(), write)["status"], "ok");
  std::ifstream in(dir.path() / "aistor-files.json");
  const auto list = nlohmann::json::parse(in);
  EXPECT_EQ(list["files"], (nlohmann::json{"aistor-raw-1M.0", "aistor-raw-1M.1"}));
}

}  // namespace
}  // namespace aistor
