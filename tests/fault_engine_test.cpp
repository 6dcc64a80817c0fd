// The fault decorator over real host engines: each kind does exactly what it says to exactly the
// requests its trigger picks, and everything else passes through untouched.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "engines/engine_config.hpp"
#include "engines/fault_engine.hpp"
#include "engines/pump.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

constexpr std::uint64_t kFile = 1 << 20;
constexpr std::uint32_t kBlock = 64 << 10;

std::unique_ptr<Engine> fault_engine(nlohmann::json faults, const std::string& host = "pread",
                                     unsigned depth = 1, std::uint64_t seed = 1) {
  nlohmann::json j{
      {"name", "fault"}, {"host_engine", host}, {"faults", std::move(faults)}, {"seed", seed}};
  if (host == "io_uring") j["queue_depth"] = depth;
  ConfigNode node(j, "engine");
  return make_engine(parse_engine_config(node));
}

std::string config_error(nlohmann::json engine) {
  try {
    ConfigNode node(engine, "engine");
    (void)parse_engine_config(node);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::byte> file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::byte> out(std::filesystem::file_size(p));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  return out;
}

class FaultInjection : public testing::Test {
 protected:
  void SetUp() override {
    path_ = test::write_pattern_file(dir_.path() / "f", kFile, 11);
    expected_.resize(kFile);
    fill_random(expected_.data(), kFile, 11);
  }

  // Reads the file block by block through `e` (queue depth 1); the results in order, the buffer
  // of each block in `blocks`.
  std::vector<std::int64_t> read_all(Engine& e, std::vector<std::vector<std::byte>>& blocks) {
    FileId f = e.open(path_, Access::read);
    Buffer buf = e.allocate(kBlock);
    std::vector<std::int64_t> res;
    for (std::uint64_t off = 0; off < kFile; off += kBlock) {
      std::memset(buf.data(), 0xee, kBlock);
      IoRequest r{Op::read, f, off, kBlock, buf.data(), off / kBlock};
      e.submit(std::span(&r, 1));
      IoResult out;
      EXPECT_EQ(e.reap(std::span(&out, 1), 1), 1u);
      EXPECT_EQ(out.tag, off / kBlock);
      res.push_back(out.res);
      blocks.emplace_back(buf.data(), buf.data() + kBlock);
    }
    e.close(f);
    return res;
  }

  // Writes block i filled with the byte 'A' + i through `e`; the results in order.
  std::vector<std::int64_t> write_all(Engine& e, unsigned count) {
    FileId f = e.open(path_, Access::write);
    Buffer buf = e.allocate(kBlock);
    std::vector<std::int64_t> res;
    for (unsigned i = 0; i < count; ++i) {
      std::memset(buf.data(), 'A' + static_cast<int>(i), kBlock);
      IoRequest r{Op::write, f, std::uint64_t{i} * kBlock, kBlock, buf.data(), i};
      e.submit(std::span(&r, 1));
      IoResult out;
      EXPECT_EQ(e.reap(std::span(&out, 1), 1), 1u);
      res.push_back(out.res);
    }
    e.sync(f);
    e.close(f);
    return res;
  }

  bool block_is(const std::vector<std::byte>& file, unsigned block, int byte,
                std::uint32_t from = 0, std::uint32_t to = kBlock) {
    for (std::uint32_t i = from; i < to; ++i) {
      if (file[std::size_t{block} * kBlock + i] != static_cast<std::byte>(byte)) return false;
    }
    return true;
  }
  bool block_is_original(const std::vector<std::byte>& file, unsigned block) {
    return std::memcmp(file.data() + std::size_t{block} * kBlock,
                       expected_.data() + std::size_t{block} * kBlock, kBlock) == 0;
  }

  test::ScratchDir dir_;
  std::filesystem::path path_;
  std::vector<std::byte> expected_;
};

TEST_F(FaultInjection, EioAtAnOffsetFailsTheOneRequestThatCoversItAndNothingElse) {
  for (const std::string host : {"pread", "io_uring"}) {
    auto e = fault_engine({{{"kind", "eio"}, {"at", 200000}}}, host, 4);
    std::vector<std::vector<std::byte>> blocks;
    auto res = read_all(*e, blocks);
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (i == 200000 / kBlock) {
        EXPECT_EQ(res[i], -EIO) << host;
        continue;
      }
      ASSERT_EQ(res[i], kBlock) << host << " block " << i;
      EXPECT_EQ(std::memcmp(blocks[i].data(), expected_.data() + i * kBlock, kBlock), 0);
    }
    auto& fault = dynamic_cast<FaultEngine&>(*e);
    EXPECT_EQ(fault.injected(FaultKind::eio), 1u) << host;
    EXPECT_EQ(fault.injected(FaultKind::short_io), 0u) << host;
  }
}

TEST_F(FaultInjection, AShortReadMovesTheFirstHalfAndSaysSo) {
  auto e = fault_engine({{{"kind", "short"}, {"at", 0}, {"op", "read"}}});
  std::vector<std::vector<std::byte>> blocks;
  auto res = read_all(*e, blocks);
  ASSERT_EQ(res[0], kBlock / 2);
  EXPECT_EQ(std::memcmp(blocks[0].data(), expected_.data(), kBlock / 2), 0);
  EXPECT_EQ(blocks[0][kBlock / 2], std::byte{0xee});  // the second half never moved
  EXPECT_EQ(blocks[0][kBlock - 1], std::byte{0xee});
  EXPECT_EQ(res[1], kBlock);
}

TEST_F(FaultInjection, EnospcAfterSomeBytesFailsEveryLaterWriteAndTheEarlierOnesLand) {
  auto e = fault_engine({{{"kind", "enospc"}, {"after", "256KiB"}}});
  auto res = write_all(*e, 8);
  auto file = file_bytes(path_);
  for (unsigned i = 0; i < 8; ++i) {
    if (i < 4) {
      EXPECT_EQ(res[i], kBlock) << i;
      EXPECT_TRUE(block_is(file, i, 'A' + static_cast<int>(i))) << i;
    } else {
      EXPECT_EQ(res[i], -ENOSPC) << i;
      EXPECT_TRUE(block_is_original(file, i)) << i;
    }
  }
}

TEST_F(FaultInjection, SilentWriteCorruptionsReportSuccessAndLeaveTheWrongBytes) {
  // Block 2 misdirected (lands on block 1), block 4 lost, block 6 torn (first half only).
  auto e = fault_engine({{{"kind", "misdirect"}, {"at", 2 * kBlock}},
                         {{"kind", "lost"}, {"at", 4 * kBlock}},
                         {{"kind", "torn"}, {"at", 6 * kBlock}}});
  auto res = write_all(*e, 8);
  for (unsigned i = 0; i < 8; ++i)
    EXPECT_EQ(res[i], kBlock) << i;  // every write says it succeeded
  auto file = file_bytes(path_);
  EXPECT_TRUE(block_is(file, 0, 'A'));
  EXPECT_TRUE(block_is(file, 1, 'C'));  // block 2's bytes, over block 1's
  EXPECT_TRUE(block_is_original(file, 2));
  EXPECT_TRUE(block_is(file, 3, 'D'));
  EXPECT_TRUE(block_is_original(file, 4));
  EXPECT_TRUE(block_is(file, 5, 'F'));
  EXPECT_TRUE(block_is(file, 6, 'G', 0, kBlock / 2));
  EXPECT_EQ(std::memcmp(file.data() + 6 * kBlock + kBlock / 2,
                        expected_.data() + 6 * kBlock + kBlock / 2, kBlock / 2),
            0);
  EXPECT_TRUE(block_is(file, 7, 'H'));
}

TEST_F(FaultInjection, ALatencySpikeDelaysItsCompletionAndOnlyIts) {
  auto e =
      fault_engine({{{"kind", "latency"}, {"at", 3 * kBlock}, {"delay", "30ms"}}}, "io_uring", 4);
  FileId f = e->open(path_, Access::read);
  Buffer buf = e->allocate(4 * kBlock);
  std::vector<IoRequest> rs;
  for (unsigned i = 0; i < 4; ++i)
    rs.push_back({Op::read, f, std::uint64_t{i} * kBlock, kBlock, buf.data() + i * kBlock, i});
  const std::uint64_t t0 = now_ns();
  e->submit(rs);
  std::vector<IoResult> done;
  while (done.size() < 4) {
    IoResult out[4];
    std::size_t n = e->reap(out, 1);
    ASSERT_GE(n, 1u);
    done.insert(done.end(), out, out + n);
  }
  ASSERT_EQ(done.back().tag, 3u);  // the delayed one comes last
  EXPECT_GE(done.back().done_ns - t0, 30'000'000u);
  EXPECT_GE(now_ns() - t0, 30'000'000u);
  for (const auto& d : done)
    EXPECT_EQ(d.res, kBlock);
  EXPECT_EQ(std::memcmp(buf.data(), expected_.data(), 4 * kBlock), 0);
}

TEST_F(FaultInjection, RatesAreSeededPerEngineAndCountCapsThem) {
  auto failing = [&](std::uint64_t seed, nlohmann::json extra) {
    nlohmann::json rule{{"kind", "eio"}, {"rate", 0.25}};
    rule.update(extra);
    auto e = fault_engine({rule}, "pread", 1, seed);
    std::set<std::size_t> out;
    for (int pass = 0; pass < 25; ++pass) {  // 400 requests
      std::vector<std::vector<std::byte>> blocks;
      auto res = read_all(*e, blocks);
      for (std::size_t i = 0; i < res.size(); ++i)
        if (res[i] < 0) out.insert(static_cast<std::size_t>(pass) * 16 + i);
    }
    return out;
  };
  auto a = failing(1, nlohmann::json::object());
  EXPECT_EQ(a, failing(1, nlohmann::json::object()));
  EXPECT_NE(a, failing(2, nlohmann::json::object()));
  EXPECT_GT(a.size(), 60u);  // 100 expected; binomial sd 8.7
  EXPECT_LT(a.size(), 140u);
  EXPECT_EQ(failing(1, {{"count", 3}}).size(), 3u);
}

TEST(FaultEngineConfig, BadRulesAreRefusedByPath) {
  auto with = [](nlohmann::json faults) {
    return config_error({{"name", "fault"}, {"host_engine", "pread"}, {"faults", faults}});
  };
  EXPECT_EQ(config_error({{"name", "fault"}}),
            "config: engine.faults: must be a non-empty list of faults, e.g. [{\"kind\": "
            "\"eio\", \"rate\": 0.01}]");
  EXPECT_EQ(with({{{"kind", "melt"}, {"rate", 1}}}).substr(0, 47),
            "config: engine.faults[0].kind: \"melt\" is not on");
  EXPECT_EQ(with({{{"kind", "torn"}, {"op", "read"}, {"rate", 1}}}),
            "config: engine.faults[0].op: a torn fault only happens to writes");
  EXPECT_EQ(with({{{"kind", "eio"}, {"rate", 0.5}, {"at", 0}}}),
            "config: engine.faults[0].kind: needs exactly one of \"rate\" (0..1 per request), "
            "\"at\" (a byte offset) or \"after\" (bytes)");
  EXPECT_EQ(
      with({{{"kind", "latency"}, {"rate", 0.5}}}),
      "config: engine.faults[0].delay: is required (a duration such as \"10s\" or \"250ms\")");
  EXPECT_EQ(with({{{"kind", "eio"}, {"rate", 0.5}, {"sometimes", true}}}),
            "config: engine.faults[0].sometimes: unknown key");
  EXPECT_EQ(with({{{"kind", "eio"}, {"rate", 1.5}}}).substr(0, 35),
            "config: engine.faults[0].rate: must");
  EXPECT_EQ(config_error({{"name", "pread"}, {"faults", nlohmann::json::array()}}),
            "config: engine.faults: unknown key");
}

}  // namespace
}  // namespace aistor
