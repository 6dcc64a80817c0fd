// Checkpoints: size arithmetic and sharding, save + restore through every engine with the
// durable sequence, verification catching a flipped bit, a truncated shard and swapped blocks,
// and the refusals (no free space, a directory that is not ours, nothing to restore).
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <tuple>

#include <fmt/format.h>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"
#include "workloads/checkpoint/checkpoint_content.hpp"
#include "workloads/checkpoint/checkpoint_layout.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

TEST(CheckpointLayout, ParameterCountsFromShapes) {
  // LLaMA-3-8B: 32 layers, hidden 4096, SwiGLU ffn 14336, 32 heads with 8 KV heads, vocab
  // 128256, untied embeddings: 8,030,261,248 parameters, as published.
  TransformerShape llama{32, 4096, 14336, 32, 8, 128256, true, false};
  EXPECT_EQ(llama.parameters(), 8'030'261'248ULL);
  // By hand: 2 layers, hidden 8, ffn 16, 2 heads, vocab 10, GPT-style MLP, tied embeddings:
  // per layer 4*64 + 2*8*16 + 2*8 = 528; embeddings 80 + final norm 8.
  TransformerShape tiny{2, 8, 16, 2, 0, 10, false, true};
  EXPECT_EQ(tiny.parameters(), 2 * 528 + 80 + 8u);

  nlohmann::json phase{{"model",
                        {{"layers", 32},
                         {"hidden", 4096},
                         {"ffn", 14336},
                         {"heads", 32},
                         {"kv_heads", 8},
                         {"vocab", 128256}}}};
  ConfigNode node(phase, "phases[0]");
  const CheckpointSpec spec = parse_checkpoint_spec(node);
  EXPECT_EQ(spec.size.bytes(), 8'030'261'248ULL * 14);  // bf16 weights + Adam: 104.7 GiB
}

TEST(CheckpointLayout, ShardsSumToTheTotalForEveryLayout) {
  const CheckpointSize size{0, 1'000'003, 6'000'029};
  for (unsigned tp : {1u, 2u, 3u})
    for (unsigned pp : {1u, 2u})
      for (unsigned dp : {1u, 3u, 4u})
        for (unsigned zero = 0; zero <= 3; ++zero) {
          const auto shards = shard_checkpoint(size, {tp, pp, dp, zero});
          ASSERT_EQ(shards.size(), tp * pp * dp);
          std::uint64_t model = 0;
          std::uint64_t optimizer = 0;
          for (const auto& s : shards) {
            model += s.model_bytes;
            optimizer += s.optimizer_bytes;
            if (zero == 0 && s.dp > 0) {
              EXPECT_EQ(s.bytes(), 0u);
            }
            if (zero < 3 && s.dp > 0) {
              EXPECT_EQ(s.model_bytes, 0u);
            }
            if (zero >= 1) {
              EXPECT_GT(s.optimizer_bytes, 0u);
            }
          }
          EXPECT_EQ(model, size.model_bytes) << tp << pp << dp << zero;
          EXPECT_EQ(optimizer, size.optimizer_bytes) << tp << pp << dp << zero;
        }
  // TP 2 x DP 2 with ZeRO-1: the shard's weights on DP replica 0, its optimizer halved.
  const auto s = shard_checkpoint({0, 1000, 6000}, {2, 1, 2, 1});
  EXPECT_EQ(s[0].model_bytes, 500u);
  EXPECT_EQ(s[0].optimizer_bytes, 1500u);
  EXPECT_EQ(s[2].model_bytes, 0u);
  EXPECT_EQ(s[2].optimizer_bytes, 1500u);
}

// MLPerf Storage's four LLM checkpoints as its benchmark (DLIO) sizes them, rank by rank: the
// totals are MLPerf's table (104.70 GiB "105 GB", 911.21 GiB "912 GB", 5,292 GiB "5.29 TB"); the
// expected bytes come from DLIO's formulas run in Python (tests/peers/dlio_checkpoint_sizes.py).
TEST(CheckpointLayout, DlioSizingGivesMlperfsBytesPerRank) {
  struct Case {
    const char* name;
    nlohmann::json model;
    nlohmann::json parallel;
    std::uint64_t total;
    std::vector<std::tuple<unsigned, std::uint64_t, std::uint64_t>> ranks;  // rank, model, opt
  };
  const auto shape = [](int layers, int hidden, int ffn, int heads, int kv) {
    return nlohmann::json{{"layers", layers}, {"hidden", hidden}, {"ffn", ffn},
                          {"heads", heads},   {"kv_heads", kv},   {"vocab", 128256},
                          {"dtype", "fp16"}};
  };
  const std::vector<Case> cases{
      {"llama3-8b",
       shape(32, 4096, 14336, 32, 8),
       {{"tp", 1}, {"pp", 1}, {"dp", 8}, {"zero", 3}},
       112'425'623'552ULL,
       {{0, 2'007'565'312ULL, 12'045'637'632ULL}, {7, 2'007'565'312ULL, 12'045'637'632ULL}}},
      {"llama3-70b",
       shape(80, 8192, 28672, 128, 8),
       {{"tp", 8}, {"pp", 1}, {"dp", 8}, {"zero", 3}},
       978'406'572'032ULL,
       {{0, 2'184'120'320ULL, 13'103'482'368ULL}, {63, 2'184'120'320ULL, 13'103'482'368ULL}}},
      {"llama3-405b",
       shape(126, 16384, 53248, 128, 8),
       {{"tp", 8}, {"pp", 32}, {"dp", 2}, {"zero", 1}},
       5'682'508'791'808ULL,
       {{0, 3'713'269'760ULL, 9'513'171'840ULL},    // stage 0: the embedding and 4 layers
        {248, 2'916'319'232ULL, 9'513'171'840ULL},  // the last stage: 3 layers, head, norm
        {511, 0, 9'513'171'840ULL}}},               // replica 1: optimizer state only
      {"llama3-1t",
       shape(128, 25872, 98304, 192, 32),
       {{"tp", 8}, {"pp", 64}, {"dp", 2}, {"zero", 1}},
       16'564'174'094'592ULL,
       {{0, 5'425'047'936ULL, 13'865'244'924ULL}, {504, 5'425'099'680ULL, 13'865'244'924ULL}}},
  };
  for (const auto& c : cases) {
    const nlohmann::json phase{{"model", c.model}, {"parallel", c.parallel}, {"sizing", "dlio"}};
    ConfigNode node(phase, "phases[0]");
    const CheckpointSpec spec = parse_checkpoint_spec(node);
    EXPECT_EQ(spec.size.bytes(), c.total) << c.name;
    const auto shards = spec.rank_shards();
    for (const auto& [rank, model, optimizer] : c.ranks) {
      ASSERT_LT(rank, shards.size()) << c.name;
      EXPECT_EQ(shards[rank].rank, rank);
      EXPECT_EQ(shards[rank].model_bytes, model) << c.name << " rank " << rank;
      EXPECT_EQ(shards[rank].optimizer_bytes, optimizer) << c.name << " rank " << rank;
    }
  }
  // A size, or a parameter count, has no shape to size as DLIO does.
  const nlohmann::json bad{{"size", "1GiB"}, {"sizing", "dlio"}};
  ConfigNode node(bad, "phases[0]");
  try {
    (void)parse_checkpoint_spec(node);
    ADD_FAILURE() << "sizing dlio without a shape was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("phases[0].sizing"), std::string::npos) << e.what();
  }
}

nlohmann::json ckpt(const std::string& op, const nlohmann::json& engine) {
  nlohmann::json p{{"workload", "checkpoint"},
                   {"name", op},
                   {"op", op},
                   {"size", 10'000'003},  // not a multiple of anything: an unaligned tail
                   {"parallel", {{"tp", 2}, {"dp", 2}, {"zero", 3}}},
                   {"block_size", "256KiB"},
                   {"cache", "as-is"},
                   {"engine", engine}};
  if (op == "restore") {
    p["verify"] = true;
    p["restore_shift"] = 1;
  }
  return p;
}

void overwrite(const fs::path& file, std::uint64_t offset, const std::vector<char>& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class CheckpointPerEngine : public testing::TestWithParam<nlohmann::json> {
 protected:
  void SetUp() override {
    const auto name = GetParam()["name"].get<std::string>();
    Availability a = find_engine(name)->probe(dir_.path());
    if (!a.available) GTEST_SKIP() << name << " unavailable here: " << a.reason;
  }
  test::ScratchDir dir_;
};

TEST_P(CheckpointPerEngine, SaveIsDurableAndRestoreVerifies) {
  const auto phases = test::run_phases(
      dir_.path(), nlohmann::json::array({ckpt("save", GetParam()), ckpt("restore", GetParam())}));
  ASSERT_EQ(phases.size(), 2u);
  const auto& save = phases[0];
  ASSERT_EQ(save["status"], "ok") << save.dump();
  EXPECT_EQ(save["write"]["bytes"].get<std::uint64_t>() >= 10'000'003u, true);
  const auto& w = save["workload_metrics"];
  EXPECT_EQ(w["files"], 4);
  EXPECT_GT(w["time_to_durable_s"].get<double>(), 0.0);
  EXPECT_GE(w["time_to_durable_s"].get<double>(), w["write_s"].get<double>());
  const fs::path dir = dir_.path() / "checkpoint";
  std::uint64_t total = 0;
  for (unsigned r = 0; r < 4; ++r) {
    const auto f = dir / fmt::format("rank-{:05}.ckpt", r);
    ASSERT_TRUE(fs::exists(f));
    EXPECT_FALSE(fs::exists(f.string() + ".tmp"));
    total += fs::file_size(f);
  }
  EXPECT_EQ(total, 10'000'003u);
  EXPECT_TRUE(fs::exists(dir / kCheckpointManifest));
  const auto& restore = phases[1];
  ASSERT_EQ(restore["status"], "ok") << restore.dump();
  EXPECT_EQ(restore["workload_metrics"]["verified"], true);
  EXPECT_EQ(restore["read"]["ops"], save["write"]["ops"]);
}

INSTANTIATE_TEST_SUITE_P(
    Engines, CheckpointPerEngine,
    testing::Values(nlohmann::json{{"name", "pread"}}, nlohmann::json{{"name", "odirect"}},
                    nlohmann::json{{"name", "mmap"}},
                    nlohmann::json{{"name", "io_uring"}, {"queue_depth", 8}, {"direct", true}},
                    // The state in GPU memory: saved device → pinned → storage, restored into it
                    // and verified there (skipped without a GPU).
                    nlohmann::json{{"name", "gpu"},
                                   {"host_engine", "io_uring"},
                                   {"queue_depth", 8},
                                   {"direct", true},
                                   {"staging_size", "64KiB"}},
                    nlohmann::json{{"name", "gpu-pageable"}, {"host_engine", "pread"}},
                    nlohmann::json{{"name", "gds"}}),
    [](const testing::TestParamInfo<nlohmann::json>& param_info) {
      std::string name = param_info.param["name"].get<std::string>();
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// On a GPU engine the shards live in GPU memory: the save writes them from there, the files are
// what a host restore verifies, and a flipped bit on storage is found in what landed in GPU
// memory, with its file and offset. An asynchronous rhythm is refused with the reason.
class CheckpointOnGpu : public testing::Test {
 protected:
  void SetUp() override {
    Availability a = find_engine("gpu")->probe(dir_.path());
    if (!a.available) GTEST_SKIP() << "no GPU here: " << a.reason;
  }
  test::ScratchDir dir_;
};

TEST_F(CheckpointOnGpu, SavedFromGpuMemoryVerifiedOnStorageAndFaultsFoundInGpuMemory) {
  const nlohmann::json gpu{{"name", "gpu"}, {"host_engine", "odirect"}};
  auto phases = test::run_phases(
      dir_.path(),
      nlohmann::json::array({ckpt("save", gpu), ckpt("restore", {{"name", "pread"}})}));
  ASSERT_EQ(phases.size(), 2u);
  ASSERT_EQ(phases[0]["status"], "ok") << phases[0].dump();
  EXPECT_EQ(phases[0]["workload_metrics"]["state_in"], "gpu memory");
  ASSERT_EQ(phases[1]["status"], "ok") << phases[1].dump();
  EXPECT_EQ(phases[1]["workload_metrics"]["state_in"], "host memory");

  // Rank 2's shard is what restore_shift 1 gives worker 1; flip a bit in its second block.
  const fs::path shard = dir_.path() / "checkpoint" / "rank-00002.ckpt";
  overwrite(shard, 256 * 1024 + 1000, {'\x5a'});
  auto restore = ckpt("restore", gpu);
  restore["name"] = "restore-gpu";
  const auto bad = test::run_phase(dir_.path(), restore);
  EXPECT_EQ(bad["status"], "failed");
  const std::string error = bad["error"].get<std::string>();
  EXPECT_NE(error.find("rank-00002.ckpt: offset 262144: block 1 checksum mismatch"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("(in GPU memory after the restore)"), std::string::npos) << error;

  auto async = ckpt("save", gpu);
  async["name"] = "async";
  async["checkpoint_dir"] = "async";
  async["rhythm"] = {{"checkpoints", 2}, {"compute", "1ms"}, {"async", true}};
  const auto refused = test::run_phase(dir_.path(), async);
  EXPECT_EQ(refused["status"], "failed");
  EXPECT_NE(refused["error"].get<std::string>().find("rhythm.async: engine \"gpu\" keeps the state "
                                                     "in GPU memory"),
            std::string::npos)
      << refused.dump();
  EXPECT_TRUE(fs::is_empty(dir_.path() / "async"));
}

std::vector<char> read_at(const fs::path& file, std::uint64_t offset, std::size_t n) {
  std::ifstream f(file, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  std::vector<char> v(n);
  f.read(v.data(), static_cast<std::streamsize>(n));
  return v;
}

TEST(CheckpointVerify, CatchesAFlippedBitATruncatedShardAndSwappedBlocks) {
  const nlohmann::json engine{{"name", "pread"}};
  auto restore_error = [&](const fs::path& dir) {
    const auto phases = test::run_phases(dir, nlohmann::json::array({ckpt("restore", engine)}));
    EXPECT_EQ(phases[0]["status"], "failed");
    return phases[0].value("error", std::string());
  };
  constexpr std::uint64_t kBlock = 256 << 10;
  {  // a flipped bit in block 2 of rank 1's shard
    test::ScratchDir dir;
    ASSERT_EQ(
        test::run_phases(dir.path(), nlohmann::json::array({ckpt("save", engine)}))[0]["status"],
        "ok");
    const auto f = dir.path() / "checkpoint" / "rank-00001.ckpt";
    auto byte = read_at(f, 2 * kBlock + 1000, 1);
    byte[0] = static_cast<char>(byte[0] ^ 0x10);
    overwrite(f, 2 * kBlock + 1000, byte);
    const std::string e = restore_error(dir.path());
    EXPECT_NE(e.find(f.string() + ": offset " + std::to_string(2 * kBlock) +
                     ": block 2 checksum mismatch"),
              std::string::npos)
        << e;
  }
  {  // rank 2's shard cut short
    test::ScratchDir dir;
    ASSERT_EQ(
        test::run_phases(dir.path(), nlohmann::json::array({ckpt("save", engine)}))[0]["status"],
        "ok");
    const auto f = dir.path() / "checkpoint" / "rank-00002.ckpt";
    const auto size = fs::file_size(f);
    fs::resize_file(f, size - 5000);
    const std::string e = restore_error(dir.path());
    EXPECT_NE(e.find(f.string() + ": offset " + std::to_string(size - 5000) + ": truncated"),
              std::string::npos)
        << e;
  }
  {  // blocks 3 and 5 of rank 0 swapped
    test::ScratchDir dir;
    ASSERT_EQ(
        test::run_phases(dir.path(), nlohmann::json::array({ckpt("save", engine)}))[0]["status"],
        "ok");
    const auto f = dir.path() / "checkpoint" / "rank-00000.ckpt";
    const auto b3 = read_at(f, 3 * kBlock, kBlock);
    const auto b5 = read_at(f, 5 * kBlock, kBlock);
    overwrite(f, 3 * kBlock, b5);
    overwrite(f, 5 * kBlock, b3);
    const std::string e = restore_error(dir.path());
    EXPECT_NE(e.find(f.string() + ": offset " + std::to_string(3 * kBlock) +
                     ": block 5 of rank 0 is here, block 3 of rank 0 was written here: blocks out "
                     "of place"),
              std::string::npos)
        << e;
  }
}

// A write that fails half-way (here EFBIG from RLIMIT_FSIZE, the same path as ENOSPC) ends the
// phase as failed with the errno counted, and leaves neither the temporary nor a manifest.
TEST(Checkpoint, AFailedWriteRemovesItsTemporary) {
  test::ScratchDir dir;
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 3 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto phase = ckpt("save", {{"name", "pread"}});
  phase["size"] = 8 << 20;
  phase["parallel"] = {{"tp", 1}};
  const auto phases = test::run_phases(dir.path(), nlohmann::json::array({phase}));
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(phases[0]["status"], "failed") << phases[0].dump();
  EXPECT_EQ(phases[0]["errors"]["by_errno"].value("EFBIG", 0), 1) << phases[0]["errors"].dump();
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint" / "rank-00000.ckpt.tmp"));
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint" / "rank-00000.ckpt"));
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint" / kCheckpointManifest));
}

// Three checkpoints with 200 ms of compute between: blocking makes the accelerators wait for
// every save; async only for the snapshots and for writes still running. The checks are the
// accounting, not which mode was faster on this machine today.
TEST(Checkpoint, RhythmBlockingAgainstAsync) {
  test::ScratchDir dir;
  auto phase = [](bool async) {
    return nlohmann::json{{"workload", "checkpoint"},
                          {"name", async ? "async" : "blocking"},
                          {"size", "64MiB"},
                          {"parallel", {{"dp", 2}, {"zero", 3}}},
                          {"cache", "as-is"},
                          {"rhythm", {{"checkpoints", 3}, {"compute", "200ms"}, {"async", async}}},
                          {"engine", {{"name", "pread"}}}};
  };
  auto restore = ckpt("restore", {{"name", "pread"}});
  restore["size"] = "64MiB";
  restore["parallel"] = {{"dp", 2}, {"zero", 3}};
  const auto phases =
      test::run_phases(dir.path(), nlohmann::json::array({phase(false), phase(true), restore}));
  ASSERT_EQ(phases[0]["status"], "ok") << phases[0].dump();
  ASSERT_EQ(phases[1]["status"], "ok") << phases[1].dump();
  const auto& b = phases[0]["workload_metrics"]["rhythm"];
  const auto& a = phases[1]["workload_metrics"]["rhythm"];
  for (const auto* r : {&b, &a}) {
    EXPECT_EQ((*r)["checkpoints"], 3);
    EXPECT_GE((*r)["compute_s"].get<double>(), 2 * 3 * 0.2);  // two ranks, three steps each
    EXPECT_DOUBLE_EQ((*r)["idle_fraction"].get<double>(),
                     (*r)["blocked_s"].get<double>() / (*r)["wall_s"].get<double>());
  }
  // Blocking: the accelerators wait for every whole save, and nothing is hidden.
  EXPECT_EQ(b["overlap"], 0.0);
  EXPECT_GE(b["blocked_s"].get<double>(), b["write_s"].get<double>());
  // Async: they wait for snapshots and for writes still running, never longer than the writes
  // took; each write but the last started before a 200 ms compute step, so part of the writing
  // is always hidden (the bounds hold however loaded the machine is).
  EXPECT_GT(a["snapshot_s"].get<double>(), 0.0);
  EXPECT_GE(a["blocked_s"].get<double>(), a["snapshot_s"].get<double>());
  EXPECT_LE(a["blocked_s"].get<double>() - a["snapshot_s"].get<double>(),
            a["write_s"].get<double>());
  EXPECT_GT(a["overlap"].get<double>(), 0.0);
  EXPECT_LE(a["overlap"].get<double>(), 1.0);
  // The last checkpoint written is whole: a verified restore reads it.
  ASSERT_EQ(phases[2]["status"], "ok") << phases[2].dump();
  EXPECT_EQ(phases[2]["workload_metrics"]["verified"], true);
}

TEST(Checkpoint, RefusesWhatItMustNotDo) {
  test::ScratchDir dir;
  const nlohmann::json engine{{"name", "pread"}};
  // Nothing to restore.
  auto phases = test::run_phases(dir.path(), nlohmann::json::array({ckpt("restore", engine)}));
  EXPECT_NE(phases[0]["error"].get<std::string>().find("no checkpoint to restore"),
            std::string::npos);
  // A directory with someone else's file is not written into, and the file stays.
  fs::create_directories(dir.path() / "checkpoint");
  std::ofstream(dir.path() / "checkpoint" / "theirs.bin") << "keep me";
  phases = test::run_phases(dir.path(), nlohmann::json::array({ckpt("save", engine)}));
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_NE(phases[0]["error"].get<std::string>().find("writes checkpoints only into directories "
                                                       "it made"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint" / "theirs.bin"));
  // More than the filesystem holds: refused before writing anything.
  auto huge = ckpt("save", engine);
  huge["size"] = "10TiB";
  huge["name"] = "huge";
  huge["checkpoint_dir"] = "huge";
  phases = test::run_phases(dir.path(), nlohmann::json::array({huge}));
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_NE(phases[0]["error"].get<std::string>().find("not enough free space"), std::string::npos)
      << phases[0]["error"];
  EXPECT_TRUE(fs::is_empty(dir.path() / "huge"));
  // A restore that asks for another layout than the one saved.
  phases = test::run_phases(dir.path() / "other", nlohmann::json::array({ckpt("save", engine)}));
  ASSERT_EQ(phases[0]["status"], "ok");
  auto other = ckpt("restore", engine);
  other["parallel"]["tp"] = 4;
  phases = test::run_phases(dir.path() / "other", nlohmann::json::array({other}));
  EXPECT_NE(phases[0]["error"].get<std::string>().find("was saved with"), std::string::npos);
}

}  // namespace
}  // namespace aistor
