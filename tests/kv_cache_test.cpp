// KV-cache offload: the models' bytes per token, the LRU waterfall on a scripted sequence, exact
// hit and miss counts for a fixed request sequence in both entry shapes, both storage layouts
// reading back what they wrote, a full disk mid-run, and every refusal.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <fstream>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "engines/engine_config.hpp"
#include "engines/registry.hpp"
#include "report/kv_cache_table.hpp"
#include "tests/test_support.hpp"
#include "workloads/kv_cache/kv_cache.hpp"
#include "workloads/kv_cache/kv_lengths.hpp"
#include "workloads/kv_cache/kv_model.hpp"
#include "workloads/kv_cache/kv_segments.hpp"
#include "workloads/kv_cache/kv_tiers.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;
using Keys = std::vector<std::uint64_t>;

KvModel model_of(const nlohmann::json& phase) {
  ConfigNode node(phase, "phases[0]");
  return KvModel::parse(node);
}

TEST(KvModel, BytesPerTokenOfEachPreset) {
  // MLPerf's KV-cache benchmark's figures: llama2-7b 512 KiB, llama3.1-8b and mistral-7b 128 KiB,
  // llama3.1-70b 320 KiB (layers x 2 x kv_heads x head_dim x 2 bytes).
  EXPECT_EQ(model_of({{"model", "llama2-7b"}}).bytes_per_token(), 512u << 10);
  EXPECT_EQ(model_of({{"model", "llama3.1-8b"}}).bytes_per_token(), 128u << 10);
  EXPECT_EQ(model_of({{"model", "mistral-7b"}}).bytes_per_token(), 128u << 10);
  EXPECT_EQ(model_of({{"model", "llama3.1-70b"}}).bytes_per_token(), 320u << 10);
  EXPECT_EQ(model_of({{"model", "llama3.1-70b-instruct"}}).bytes_per_token(), 320u << 10);
  EXPECT_EQ(model_of({{"model", "llama3.2-1b"}}).bytes_per_token(), 32u << 10);
  EXPECT_EQ(model_of({{"model", "tiny"}}).bytes_per_token(), 2048u);
  // Explicit: 80 x 2 x 8 x 128 x 1 byte (fp8) over tp 4.
  EXPECT_EQ(
      model_of({{"model", {{"layers", 80}, {"kv_heads", 8}, {"head_dim", 128}, {"dtype", "fp8"}}},
                {"tp", 4}})
          .bytes_per_token(),
      80u * 2 * 8 * 128 / 4);
  EXPECT_EQ(model_of({{"model", "llama3.1-8b"}, {"tp", 8}}).bytes_per_token(), 16u << 10);
}

// Budgets 100 (GPU), 200 (host), 300 (storage): room is made down to 80 % of a tier.
TEST(KvTiers, TheWaterfallDemotesLeastRecentlyUsedDownTheTiers) {
  KvTiers tiers({100, 200, 300});
  auto put = [&](std::uint64_t key, std::uint64_t bytes) {
    auto p = tiers.insert(key, bytes);
    for (const auto& m : p.moves)
      if (m.to) tiers.done(m.key);
    if (p.tier) tiers.done(key);
    return p;
  };
  EXPECT_EQ(put(1, 40).tier, KvTier::gpu);
  EXPECT_EQ(put(2, 40).tier, KvTier::gpu);  // 80: exactly the 80 % mark
  auto p3 = put(3, 40);                     // 120 > 80: the least recent (1) goes to host
  EXPECT_EQ(p3.tier, KvTier::gpu);
  ASSERT_EQ(p3.moves.size(), 1u);
  EXPECT_EQ(p3.moves[0].key, 1u);
  EXPECT_EQ(p3.moves[0].from, KvTier::gpu);
  EXPECT_EQ(p3.moves[0].to, KvTier::host);
  EXPECT_EQ(tiers.lru(KvTier::gpu), (Keys{2, 3}));
  // A hit makes 2 the most recent: 3 is demoted next.
  ASSERT_TRUE(tiers.acquire(2));
  tiers.done(2);
  EXPECT_EQ(tiers.lru(KvTier::gpu), (Keys{3, 2}));
  for (std::uint64_t k = 4; k <= 7; ++k)
    (void)put(k, 40);
  // GPU holds the two most recent; host (160 = 80 %) the four before them, least recent first;
  // 1, the oldest, went on to storage when host needed room.
  EXPECT_EQ(tiers.lru(KvTier::gpu), (Keys{6, 7}));
  EXPECT_EQ(tiers.lru(KvTier::host), (Keys{3, 2, 4, 5}));
  EXPECT_EQ(tiers.lru(KvTier::storage), (Keys{1}));
  EXPECT_EQ(tiers.used(KvTier::gpu), 80u);
  EXPECT_EQ(tiers.used(KvTier::host), 160u);
  // Storage full (300 x 80 % = 240): its least recent entries are dropped, not moved.
  for (std::uint64_t k = 8; k <= 14; ++k)
    (void)put(k, 40);
  auto p = put(15, 40);
  bool dropped = false;
  for (const auto& m : p.moves)
    dropped = dropped || (!m.to && m.from == KvTier::storage);
  EXPECT_TRUE(dropped);
  EXPECT_LE(tiers.used(KvTier::storage), 240u);
  EXPECT_FALSE(tiers.contains(1));  // the oldest is gone
}

TEST(KvTiers, AnEntryLargerThanATiersShareSkipsItAndBusyEntriesStay) {
  KvTiers tiers({100, 0, KvTiers::kUnlimited});
  auto big = tiers.insert(1, 96);  // > 95 % of the GPU tier; host is skipped (0)
  EXPECT_EQ(big.tier, KvTier::storage);
  tiers.done(1);
  auto a = tiers.insert(2, 70);  // in GPU, still being written (busy)
  EXPECT_EQ(a.tier, KvTier::gpu);
  auto b = tiers.insert(3, 70);  // no idle entry to demote: falls through to storage
  EXPECT_EQ(b.tier, KvTier::storage);
  EXPECT_TRUE(b.moves.empty());
  EXPECT_FALSE(tiers.acquire(2));  // not readable while it is written
  tiers.done(2);
  EXPECT_TRUE(tiers.acquire(2));
  EXPECT_TRUE(tiers.insert(2, 70).present);
}

TEST(KvSegments, ACheckCatchesAFlippedByteAndAnotherEntrysChunk) {
  std::vector<std::byte> reference(4096);
  fill_random(reference.data(), reference.size(), 9);
  std::vector<std::byte> chunk = reference;
  kv_stamp(chunk.data(), chunk.size(), 42, 8192);
  EXPECT_TRUE(kv_chunk_ok(chunk.data(), chunk.size(), 42, 8192, reference));
  EXPECT_FALSE(kv_chunk_ok(chunk.data(), chunk.size(), 43, 8192, reference));
  EXPECT_FALSE(kv_chunk_ok(chunk.data(), chunk.size(), 42, 0, reference));
  chunk[2000] ^= std::byte{1};
  EXPECT_FALSE(kv_chunk_ok(chunk.data(), chunk.size(), 42, 8192, reference));
}

nlohmann::json kv_phase(nlohmann::json extra) {
  nlohmann::json p{{"workload", "kv-cache"}, {"model", "tiny"}, {"users", 1}};
  for (const auto& [k, v] : extra.items())
    p[k] = v;
  return p;
}

const nlohmann::json& metrics(const nlohmann::json& phase) {
  return phase["workload_metrics"];
}

// One user, fixed lengths, 16-token blocks (32 KiB on tiny), a 32-token system prompt:
//  1: sequence 32+64 = 6 blocks; the 2 system blocks looked up and missed; 6 written, then the
//     generated 16 tokens fill block 6 (written).             lookups 2, misses 2, writes 7
//  2, 3: the conversation's 64 tokens are cached: blocks 0-5 hit; block 6 is there already.
//                                                              lookups 6 + 6, no writes
//  4: a new conversation (turns 3): the 2 system blocks hit, 4 + 1 conversation blocks written.
TEST(KvCache, BlockHitsAndMissesAreExactForAFixedSequence) {
  test::ScratchDir dir;
  const auto phase = test::run_phase(dir.path(), kv_phase({{"block_tokens", 16},
                                                           {"requests", 4},
                                                           {"context", 64},
                                                           {"system_prompt_tokens", 32},
                                                           {"generate_tokens", 16},
                                                           {"turns", 3}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  const auto& m = metrics(phase);
  EXPECT_EQ(m["requests"], 4);
  EXPECT_EQ(m["lookups"], 16);
  EXPECT_EQ(m["misses"], 2);
  EXPECT_EQ(m["tiers"]["storage"]["hits"], 14);
  EXPECT_EQ(m["tiers"]["storage"]["placed"], 12);
  EXPECT_EQ(m["entry_sizes"]["written"], (nlohmann::json{{"32768", 12}}));
  EXPECT_EQ(m["entry_sizes"]["read"], (nlohmann::json{{"32768", 14}}));
  EXPECT_EQ(m["tokens"]["cached"], 14 * 16);
  EXPECT_EQ(phase["write"]["bytes"], 12 * 32768);  // the recorder saw the same storage I/O
  EXPECT_EQ(phase["read"]["bytes"], 14 * 32768);
  EXPECT_EQ(test::count_entries(dir.path() / "kv-cache"), 1u);  // the marker: entries removed
  // aistor report --table kv-cache: the phase, and the one tier it used.
  nlohmann::json report;
  report["phases"] = nlohmann::json::array();
  report["phases"].push_back(phase);
  const std::vector<nlohmann::json> reports(1, report);
  const auto tables = kv_cache_tables(reports);
  ASSERT_EQ(tables.size(), 2u);
  ASSERT_EQ(tables[0].rows.size(), 2u);  // the header, the phase
  EXPECT_EQ(tables[0].rows[1][2], "16 tok");
  EXPECT_EQ(tables[0].rows[1][5], "87.5%");  // 14 of 16
  ASSERT_EQ(tables[1].rows.size(), 2u);
  EXPECT_EQ(tables[1].rows[1][1], "storage");
  EXPECT_EQ(tables[1].rows[1][4], "14");
}

// MLPerf's shape: one entry per request, the system prompt's and the previous turn's read back,
// two decode re-reads of 32 tokens each.
TEST(KvCache, RequestEntriesAreExactForAFixedSequence) {
  test::ScratchDir dir;
  const auto phase = test::run_phase(dir.path(), kv_phase({{"requests", 3},
                                                           {"context", 100},
                                                           {"system_prompt_tokens", 50},
                                                           {"generate_tokens", 64},
                                                           {"decode_reads_every", 32},
                                                           {"turns", 2}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  const auto& m = metrics(phase);
  EXPECT_EQ(m["lookups"], 4);  // 1: system prompt; 2: it and the previous turn; 3: new talk
  EXPECT_EQ(m["misses"], 1);
  EXPECT_EQ(m["decode_reads"], 6);
  EXPECT_EQ(m["entry_sizes"]["written"], (nlohmann::json{{"102400", 1}, {"204800", 3}}));
  EXPECT_EQ(m["entry_sizes"]["read"], (nlohmann::json{{"102400", 2}, {"204800", 7}}));
  EXPECT_EQ(m["tokens"]["generated"], 3 * 64);
}

TEST(KvCache, BothLayoutsReadBackWhatTheyWroteThroughEveryTier) {
  test::ScratchDir dir;
  auto phase = [](const char* name, const char* layout, nlohmann::json engine) {
    return kv_phase({{"name", name},
                     {"layout", layout},
                     {"block_tokens", 16},
                     {"users", 3},
                     {"requests", 40},
                     {"context", {{"distribution", "uniform"}, {"min", 16}, {"max", 600}}},
                     {"generate_tokens", 20},
                     {"decode_reads_every", 10},
                     {"system_prompt_tokens", 40},
                     {"tiers", {{"host", "256KiB"}, {"storage", "2MiB"}}},
                     {"verify", true},
                     {"engine", engine}});
  };
  const auto phases = test::run_phases(
      dir.path(),
      nlohmann::json::array(
          {phase("files", "file_per_entry", {{"name", "pread"}}),
           phase("slab", "slab", {{"name", "io_uring"}, {"direct", true}, {"queue_depth", 4}}),
           phase("mmap", "slab", {{"name", "mmap"}})}));
  for (const auto& p : phases) {
    ASSERT_EQ(p["status"], "ok") << p.dump();
    const auto& m = metrics(p);
    EXPECT_GT(m["verify"]["chunks"].get<int>(), 20) << p["name"];
    EXPECT_EQ(m["verify"]["mismatches"], 0);
    // Host entries were demoted to storage and storage entries dropped: the waterfall ran.
    EXPECT_GT(m["tiers"]["storage"]["moved_in"].get<int>(), 0) << p["name"];
    EXPECT_GT(m["tiers"]["storage"]["dropped"].get<int>(), 0) << p["name"];
    EXPECT_GT(m["tiers"]["host"]["hits"].get<int>(), 0) << p["name"];
    // The host tier's 8 slots of 32 KiB, made by the 3 workers before the clock (3 + 3 + 2).
    EXPECT_EQ(m["host_pool_bytes"], 8 * 32768) << p["name"];
  }
}

TEST(KvCache, HostEntriesTakeThePoolsSlotsAndGiveThemBack) {
  test::ScratchDir dir;
  KvStore store(KvLayout::file_per_entry, dir.path() / "kv");
  KvCache cache({0, 1 << 20, 0}, std::move(store));
  const nlohmann::json pread{{"name", "pread"}};
  ConfigNode node(pread, "engine");
  auto engine = make_engine(parse_engine_config(node));
  Buffer region = allocate_aligned(3 * 8192);
  std::byte* const base = region.data();
  cache.pool(std::move(region), 8192);
  EXPECT_EQ(cache.pooled_bytes(), 3u * 8192);
  const auto in_pool = [&](const std::byte* p) { return p >= base && p < base + 3 * 8192; };
  std::byte* a = cache.keep(1, 8192, *engine);
  std::byte* b = cache.keep(2, 100, *engine);  // smaller than a slot: a slot all the same
  std::byte* c = cache.keep(3, 8192, *engine);
  EXPECT_TRUE(in_pool(a) && in_pool(b) && in_pool(c));
  EXPECT_TRUE(a != b && b != c && a != c);
  std::byte* own = cache.keep(4, 8192, *engine);  // the pool is used up: memory of its own
  EXPECT_FALSE(in_pool(own));
  std::byte* big = cache.keep(5, 8193, *engine);  // larger than a slot
  EXPECT_FALSE(in_pool(big));
  EXPECT_EQ(cache.memory(2), b);
  cache.forget(2);
  EXPECT_EQ(cache.memory(2), nullptr);
  EXPECT_EQ(cache.keep(6, 4096, *engine), b);  // the slot came back
  cache.forget(4);                             // memory of its own is freed, not pooled
  std::byte* next = cache.keep(7, 8192, *engine);
  EXPECT_FALSE(in_pool(next));
  cache.erase(1, 1, KvTier::host);  // a failed write gives its slot back too
  EXPECT_EQ(cache.keep(8, 8192, *engine), a);
}

TEST(KvCache, AFullDiskMidRunFailsThePhaseWithTheErrno) {
  test::ScratchDir dir;
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 1 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto phases = test::run_phases(
      dir.path(), nlohmann::json::array({kv_phase({{"requests", 4}, {"context", 1000}})}));
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(phases[0]["status"], "failed") << phases[0].dump();
  EXPECT_EQ(phases[0]["errors"]["by_errno"].value("EFBIG", 0), 1) << phases[0]["errors"].dump();
  EXPECT_EQ(test::count_entries(dir.path() / "kv-cache"), 1u);  // the failed entry removed
}

TEST(KvCache, ADirectoryWithOtherFilesIsRefusedAndLeftAlone) {
  test::ScratchDir dir;
  fs::create_directories(dir.path() / "kv-cache");
  test::write_pattern_file(dir.path() / "kv-cache" / "mine.bin", 100);
  const auto phase = test::run_phase(dir.path(), kv_phase({{"requests", 1}}));
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_NE(phase["error"].get<std::string>().find("did not make"), std::string::npos)
      << phase.dump();
  EXPECT_TRUE(fs::exists(dir.path() / "kv-cache" / "mine.bin"));
}

TEST(KvCache, BadInputIsOneLineNamingTheKey) {
  auto error = [](nlohmann::json extra) { return test::plan_error(kv_phase(std::move(extra))); };
  auto has = [](const std::string& e, const std::string& what) {
    return e.find(what) != std::string::npos;
  };
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"tp", 3}}), "phases[0].tp: 3 does not divide");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"model", "gpt-9"}}),
               "phases[0].model: unknown model \"gpt-9\"");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"model", {{"layers", 2}, {"kv_heads", 2}}}}),
               "phases[0].model.head_dim");
  EXPECT_PRED2(has,
               error({{"duration", "1s"}, {"block_tokens", 16}, {"tiers", {{"host", "16KiB"}}}}),
               "cannot hold one 32768-byte entry");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"rate", 0}}), "phases[0].rate");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"tiers", {{"storage", 0}}}}),
               "phases[0].tiers.storage: every tier's budget is 0");
  EXPECT_PRED2(has, error({}), "phases[0].duration: give a duration, a number of requests");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"layout", "slab"}}),
               "phases[0].layout: slab needs fixed-size entries");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"layout", "slab"}, {"block_tokens", 16}}),
               "phases[0].layout: slab preallocates its files");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"users", 2}, {"threads", 3}}), "phases[0].threads");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"users", 16384}, {"request_size", "1GiB"}}),
               "phases[0].threads: 1024 workers x 2 x request_size 1G");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"tiers", {{"host", "1000TiB"}}}}),
               "phases[0].tiers: a host tier of");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"blocks", 16}}), "blocks");
  EXPECT_PRED2(has, error({{"duration", "1s"}, {"context", {{"distribution", "zipf"}}}}),
               "phases[0].context.distribution");
  test::ScratchDir dir;
  const auto csv = dir.path() / "lengths.csv";
  std::ofstream(csv) << "tokens,user\n512,1\n1024,2\nlots,3\n";
  EXPECT_PRED2(
      has,
      error({{"duration", "1s"}, {"context", {{"distribution", "file"}, {"path", csv.string()}}}}),
      csv.string() + ":4: the first column is not a token count");
  const auto json = dir.path() / "lengths.json";
  std::ofstream(json) << "[512, 1024,\n 0]";
  EXPECT_PRED2(
      has,
      error({{"duration", "1s"}, {"context", {{"distribution", "file"}, {"path", json.string()}}}}),
      json.string() + ": [2]: 0 is not a token count");
  EXPECT_PRED2(
      has,
      error({{"duration", "1s"}, {"context", {{"distribution", "file"}, {"path", "/dev/zero"}}}}),
      "/dev/zero: not a regular file");
  std::ofstream(json) << "[512, 1024,\n ";
  EXPECT_PRED2(
      has,
      error({{"duration", "1s"}, {"context", {{"distribution", "file"}, {"path", json.string()}}}}),
      json.string() + ":2:");
}

// The most users whose p95 prefix load stays under a target: a search with at_most. A target no
// trial can miss finds the top of the range; one every trial misses finds none.
TEST(KvCache, ASearchFindsTheMostUsersAtALatencyTarget) {
  test::ScratchDir dir;
  auto phase = [](double at_most) {
    return kv_phase({{"block_tokens", 16},
                     {"requests", 4},
                     {"context", 64},
                     {"search",
                      {{"param", "users"},
                       {"metric", "workload_metrics.prefix_load_ns.p95"},
                       {"at_most", at_most},
                       {"from", 1},
                       {"to", 4}}}});
  };
  nlohmann::json config{{"dir", dir.path().string()},
                        {"phases", nlohmann::json::array({phase(1e12), phase(-1)})}};
  const Plan plan = make_plan(config, {});
  const RunOutcome out = run_plan(plan, {});
  ASSERT_EQ(out.searches.size(), 2u);
  EXPECT_EQ(out.searches[0]["best"], 4) << out.searches[0].dump();
  EXPECT_EQ(out.searches[0]["at_most"], 1e12);
  EXPECT_FALSE(out.searches[0].contains("at_least"));
  EXPECT_TRUE(out.searches[1]["best"].is_null()) << out.searches[1].dump();
  EXPECT_NE(test::plan_error(
                kv_phase({{"requests", 1},
                          {"search", {{"param", "users"}, {"at_least", 1}, {"at_most", 2}}}}))
                .find("search.at_most: give at_least (a floor) or at_most (a ceiling), not both"),
            std::string::npos);
}

TEST(KvLengths, AFileGivesItsCountsInOrderAndMlperfStaysInItsRanges) {
  test::ScratchDir dir;
  const auto csv = dir.path() / "l.csv";
  std::ofstream(csv) << "context_tokens\n100\n200\r\n\n300, x\n";
  EXPECT_EQ(read_kv_lengths(csv, 1), (std::vector<std::uint32_t>{100, 200, 300}));
  nlohmann::json phase{{"context", {{"distribution", "mlperf"}}}};
  ConfigNode node(phase, "p");
  const KvLengths l = KvLengths::parse(node, "context", 1, 1);
  KvRng rng(3);
  for (int i = 0; i < 1000; ++i) {
    const std::uint32_t user = l.user_state(rng);
    ASSERT_GE(user, 256u);
    ASSERT_LE(user, 8192u);
    const std::uint32_t c = l.draw(rng, user);
    ASSERT_GE(c, (user + 3) / 4);
    ASSERT_LE(c, user);
  }
}

}  // namespace
}  // namespace aistor
