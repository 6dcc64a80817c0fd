// Raw write verification: block stamps judged exactly (unit), and verifying write phases through
// the runner, clean and with the fault engine's silent corruptions, each caught with its file and
// offset.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/random_bytes.hpp"
#include "engines/pump.hpp"
#include "tests/test_support.hpp"
#include "workloads/raw/raw_verify.hpp"

namespace aistor {
namespace {

constexpr std::uint32_t kBlock = 64 << 10;

std::vector<std::byte> stamped(const BlockStamp& s, std::uint64_t fill_seed = 3) {
  std::vector<std::byte> b(kBlock);
  fill_random(b.data(), b.size(), fill_seed);
  stamp_verified_block(b, s);
  return b;
}

TEST(RawVerifyBlock, EachWayABlockCanBeWrongIsToldApart) {
  const BlockStamp want{0xabc, 1 << 20, 7, 2};
  EXPECT_EQ(check_verified_block(stamped(want), want).verdict, BlockVerdict::ok);

  std::vector<std::byte> zeros(kBlock);
  EXPECT_EQ(check_verified_block(zeros, want).verdict, BlockVerdict::lost);

  auto other_run = stamped({0xdef, 1 << 20, 7, 2});
  auto c = check_verified_block(other_run, want);
  EXPECT_EQ(c.verdict, BlockVerdict::stale);
  EXPECT_EQ(c.detail,
            "holds a block of another run (seed 0xdef, this run 0xabc): the write never "
            "reached the disk");

  c = check_verified_block(stamped({0xabc, (1 << 20) + kBlock, 8, 2}), want);
  EXPECT_EQ(c.verdict, BlockVerdict::misdirected);
  EXPECT_EQ(c.detail, "holds the block written for offset 1114112 (write #8 of worker 2)");

  c = check_verified_block(stamped({0xabc, 1 << 20, 5, 2}), want);
  EXPECT_EQ(c.verdict, BlockVerdict::stale);
  EXPECT_EQ(c.detail, "holds write #5 of this worker, the last write here was #7");

  // Torn: the new write's first 3 sectors over an older write of the same block. The old write
  // had the same buffer bytes (the same pump slot), so only the sector tags can tell.
  auto torn = stamped({0xabc, 1 << 20, 5, 2});
  auto fresh = stamped(want);
  std::memcpy(torn.data(), fresh.data(), 3 * kVerifySector);
  c = check_verified_block(torn, want);
  EXPECT_EQ(c.verdict, BlockVerdict::torn);
  EXPECT_EQ(c.detail, "the write's bytes end at byte 1536 of 65536: older data from there on");

  auto flipped = stamped(want);
  flipped[1000] ^= std::byte{0x10};
  c = check_verified_block(flipped, want);
  EXPECT_EQ(c.verdict, BlockVerdict::corrupt);
  EXPECT_EQ(c.detail, "checksum mismatch: bytes changed inside the block");
}

nlohmann::json write_phase(nlohmann::json engine, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json p{{"workload", "raw"}, {"rw", "randwrite"}, {"block_size", "64KiB"},
                   {"size", "4MiB"},    {"verify", true},    {"file_name", "verified"},
                   {"engine", engine}};
  p.update(extra);
  return p;
}

nlohmann::json faulty(nlohmann::json faults, std::string host = "pread") {
  nlohmann::json e{{"name", "fault"}, {"host_engine", host}, {"faults", faults}};
  if (host == "io_uring") {
    e["queue_depth"] = 8;
    e["direct"] = true;
  }
  return e;
}

TEST(RawVerify, CleanWritesVerifyOnEveryEngineAndSharedFiles) {
  test::ScratchDir dir;
  for (const nlohmann::json& engine :
       {nlohmann::json{{"name", "pread"}},
        nlohmann::json{{"name", "io_uring"}, {"queue_depth", 16}, {"direct", true}}}) {
    // Two workers on one shared file, each over its half, two passes (io_size twice the region).
    auto phase = test::run_phase(
        dir.path(),
        write_phase(engine, {{"threads", 2}, {"file_per_thread", false}, {"io_size", "4MiB"}}));
    ASSERT_EQ(phase["status"], "ok") << phase.value("error", "");
    const auto& v = phase["workload_metrics"]["verify"];
    // 4 MiB / 64 KiB, every block written; a block written twice at once (the end of one pass
    // and the start of the next, both in flight at a deep queue) cannot be judged and is skipped.
    EXPECT_EQ(v["blocks_checked"].get<int>() + v["blocks_skipped"].get<int>(), 64) << engine;
    if (engine["name"] == "pread") {
      EXPECT_EQ(v["blocks_skipped"], 0);
    }
    EXPECT_LE(v["blocks_skipped"], 16);
    EXPECT_EQ(v["bad_blocks"], 0);
  }
}

TEST(RawVerify, AMisdirectedWriteIsFoundWhereItLandedWithItsFileAndOffset) {
  test::ScratchDir dir;
  // One request at a time (pread), so block 9's own write lands before block 10's lands on it.
  auto phase = test::run_phase(
      dir.path(),
      write_phase(faulty({{{"kind", "misdirect"}, {"at", 10 * kBlock}}}), {{"rw", "write"}}));
  ASSERT_EQ(phase["status"], "failed");
  const std::string where = (dir.path() / "verified.0").string();
  EXPECT_EQ(phase["error"],
            where +
                ": offset 589824: misdirected write: holds the block written for offset "
                "655360 (write #11 of worker 0) (2 bad of 64 blocks read back: lost 1, stale 0, "
                "misdirected 1, torn 0, corrupt 0)");
  const auto& v = phase["workload_metrics"]["verify"];
  EXPECT_EQ(v["first"][1], where +
                               ": offset 655360: lost write: no block header: the write "
                               "never reached the disk");
}

TEST(RawVerify, ALostWriteInTheSecondPassLeavesAStaleBlock) {
  test::ScratchDir dir;
  // Sequential, two passes: after 4 MiB the first write of pass two (offset 0) is dropped.
  auto phase = test::run_phase(
      dir.path(), write_phase(faulty({{{"kind", "lost"}, {"after", "4MiB"}, {"count", 1}}}),
                              {{"rw", "write"}, {"io_size", "8MiB"}}));
  ASSERT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"],
            (dir.path() / "verified.0").string() +
                ": offset 0: stale write: holds write #1 of this worker, the last write here was "
                "#65 (1 bad of 64 blocks read back: lost 0, stale 1, misdirected 0, torn 0, "
                "corrupt 0)");
}

TEST(RawVerify, ATornWriteSaysWhereTheNewBytesEnd) {
  test::ScratchDir dir;
  auto phase = test::run_phase(
      dir.path(), write_phase(faulty({{{"kind", "torn"}, {"at", 3 * kBlock}}}, "io_uring"),
                              {{"rw", "write"}, {"io_size", "8MiB"}}));
  ASSERT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"],
            (dir.path() / "verified.0").string() +
                ": offset 196608: torn write: the write's bytes end at byte 32768 of 65536: older "
                "data from there on (1 bad of 64 blocks read back: lost 0, stale 0, misdirected "
                "0, torn 1, corrupt 0)");
  EXPECT_EQ(phase["workload_metrics"]["verify"]["bad"]["torn"], 1);
}

TEST(RawVerify, BlocksWhoseWriteFailedAreSkippedNotCountedGood) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(),
                               write_phase(faulty({{{"kind", "eio"}, {"rate", 0.1}}}, "io_uring"),
                                           {{"on_error", "continue"}}));
  ASSERT_EQ(phase["status"], "ok") << phase.value("error", "");
  const auto& v = phase["workload_metrics"]["verify"];
  const std::uint64_t failed = phase["errors"]["by_errno"]["EIO"];
  EXPECT_GT(failed, 0u);
  EXPECT_EQ(v["blocks_skipped"], failed);
  EXPECT_EQ(v["blocks_checked"].get<std::uint64_t>() + failed, 64u);
  EXPECT_EQ(v["bad_blocks"], 0);
}

TEST(RawVerify, ImpossibleVerifyConfigsAreRefused) {
  EXPECT_EQ(
      test::plan_error({{"workload", "raw"}, {"rw", "read"}, {"size", "4MiB"}, {"verify", true}}),
      "config: phases[0].verify: checks what the phase writes; this one only reads");
  EXPECT_EQ(test::plan_error({{"workload", "raw"},
                              {"rw", "write"},
                              {"size", "4MiB"},
                              {"block_size", 1000},
                              {"verify", true}}),
            "config: phases[0].verify: needs a block_size that is a multiple of 512 bytes");
  EXPECT_EQ(
      test::plan_error(
          {{"workload", "raw"},
           {"rw", "write"},
           {"size", "4MiB"},
           {"bssplit", {{{"size", "4KiB"}, {"weight", 1}}, {{"size", "64KiB"}, {"weight", 1}}}},
           {"verify", true}}),
      "config: phases[0].verify: needs one block_size (blocks of a bssplit overlap)");
}

}  // namespace
}  // namespace aistor
