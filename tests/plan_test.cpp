#include "workloads/runner/plan.hpp"

#include <gtest/gtest.h>

#include "core/config_node.hpp"
#include "core/error.hpp"

namespace aistor {
namespace {

nlohmann::json config_with(const nlohmann::json& phase) {
  return {{"dir", "/var/tmp/x"}, {"phases", nlohmann::json::array({phase})}};
}

nlohmann::json raw_phase() {
  return {{"workload", "raw"}, {"rw", "read"}, {"size", "1MiB"}, {"block_size", "128KiB"}};
}

std::string error_of(const nlohmann::json& config) {
  try {
    (void)make_plan(config, std::nullopt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Plan, UnknownKeysNameTheirPath) {
  auto p = raw_phase();
  p["blok_size"] = "4K";
  EXPECT_EQ(error_of(config_with(p)), "config: phases[0].blok_size: unknown key");
  auto q = raw_phase();
  q["engine"] = {{"name", "io_uring"}, {"qd", 4}};
  EXPECT_EQ(error_of(config_with(q)), "config: phases[0].engine.qd: unknown key");
  auto top = config_with(raw_phase());
  top["dri"] = "x";
  EXPECT_EQ(error_of(top), "config: dri: unknown key");
}

TEST(Plan, ImpossibleValuesAreRejected) {
  auto p = raw_phase();
  p["engine"] = {{"name", "io_uring"}, {"queue_depth", -4}};
  EXPECT_EQ(error_of(config_with(p)),
            "config: phases[0].engine.queue_depth: must be at least 1, got -4");
  p = raw_phase();
  p["size"] = "12XB";
  EXPECT_EQ(
      error_of(config_with(p)),
      "config: phases[0].size: \"12XB\" is not a size (use e.g. \"4KiB\", \"128K\", \"4.7GB\")");
  p = raw_phase();
  p["threads"] = "four";
  EXPECT_EQ(error_of(config_with(p)), "config: phases[0].threads: must be an integer, got string");
  p = raw_phase();
  p["size"] = "100KiB";
  EXPECT_EQ(error_of(config_with(p)),
            "config: phases[0].size: 102400 per worker is smaller than the block size 131072");
  p = raw_phase();
  p["engine"] = {{"name", "pread"}, {"queue_depth", 8}};
  EXPECT_EQ(error_of(config_with(p)),
            "config: phases[0].engine.queue_depth: engine pread is synchronous: queue depth must "
            "be 1 (use threads for parallelism)");
  p = raw_phase();
  p["engine"] = {{"name", "spdk"}};
  EXPECT_EQ(error_of(config_with(p)),
            "config: phases[0].engine.name: unknown engine \"spdk\" (compiled in: pread, odirect, "
            "mmap, io_uring, gpu, gpu-pageable, gds, fault)");
  p = raw_phase();
  p["time_based"] = true;
  EXPECT_EQ(error_of(config_with(p)), "config: phases[0].time_based: needs a runtime");
  p = raw_phase();
  p["rank_files"] = "shared";
  EXPECT_EQ(error_of(config_with(p)),
            "config: phases[0].rank_files: \"shared\" divides one file among every rank's "
            "threads: give \"file_per_thread\": false");
  p["file_per_thread"] = false;
  EXPECT_EQ(error_of(config_with(p)), "(no error)");
  p["rank_files"] = "everyone";
  EXPECT_NE(error_of(config_with(p)).find("config: phases[0].rank_files: "), std::string::npos);
  auto top = config_with(raw_phase());
  top["rank_timeout"] = "0s";
  EXPECT_EQ(error_of(top), "config: rank_timeout: must be longer than 0 s");
  top["rank_timeout"] = "5s";
  EXPECT_EQ(error_of(top), "(no error)");
}

TEST(Plan, MatrixExpandsEveryCombinationInOrder) {
  auto p = raw_phase();
  p["name"] = "r";
  p["matrix"] = {{"engine", {{{"name", "pread"}}, {{"name", "io_uring"}, {"queue_depth", 8}}}},
                 {"block_size", {"4KiB", "128KiB"}}};
  Plan plan = make_plan(config_with(p), std::nullopt);
  ASSERT_EQ(plan.phases.size(), 4u);
  EXPECT_EQ(plan.phases[0].name, "r[block_size=4KiB,pread]");
  EXPECT_EQ(plan.phases[1].name, "r[block_size=4KiB,io_uring(queue_depth=8)]");
  EXPECT_EQ(plan.phases[3].name, "r[block_size=128KiB,io_uring(queue_depth=8)]");
  EXPECT_EQ(plan.phases[1].engine.name, "io_uring");
  EXPECT_EQ(plan.phases[1].engine.queue_depth, 8u);
  EXPECT_EQ(plan.phases[2].params["block_size"], "128KiB");
  EXPECT_EQ(plan.resolved["phases"].size(), 4u);
  EXPECT_EQ(plan.sha256.size(), 64u);
}

TEST(Plan, MatrixOverDirectoriesComparesTargets) {
  auto p = raw_phase();
  p["matrix"] = {{"dir", {"/mnt/a", "/mnt/b"}}};
  Plan plan = make_plan(config_with(p), std::nullopt);
  ASSERT_EQ(plan.phases.size(), 2u);
  EXPECT_EQ(plan.phases[0].dir, "/mnt/a");
  EXPECT_EQ(plan.phases[1].dir, "/mnt/b");
}

TEST(Plan, OverridesSetPathsAndParseValues) {
  auto c = config_with(raw_phase());
  apply_override(c, "phases.0.engine.name=io_uring");
  apply_override(c, "phases.0.engine.queue_depth=64");
  apply_override(c, "phases.0.block_size=4KiB");
  Plan plan = make_plan(c, std::filesystem::path("/elsewhere"));
  EXPECT_EQ(plan.phases[0].engine.queue_depth, 64u);
  EXPECT_EQ(plan.dir, "/elsewhere");
  EXPECT_EQ(plan.phases[0].dir, "/elsewhere");
  EXPECT_THROW(apply_override(c, "phases.3.size=1M"), InputError);
  EXPECT_THROW(apply_override(c, "novalue"), InputError);
}

TEST(Plan, CommentsAreAllowedAndSyntaxErrorsGiveLineAndColumn) {
  auto j = parse_json_with_comments("// top\n{\"a\": 1, /* inline */ \"b\": [1,2]}", "c.json");
  EXPECT_EQ(j["b"][1], 2);
  try {
    (void)parse_json_with_comments("{\n  \"a\": 1,\n  \"b\": ]\n}", "c.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("c.json:3:8: invalid JSON", 0), 0u) << e.what();
  }
}

TEST(Plan, CachePolicyAndRepeat) {
  auto p = raw_phase();
  p["cache"] = "warm";
  p["repeat"] = 3;
  Plan plan = make_plan(config_with(p), std::nullopt);
  EXPECT_EQ(plan.phases[0].cache.kind, CacheKind::warm);
  EXPECT_EQ(plan.phases[0].repeat, 3u);
  p["cache"] = {{"policy", "cold"}, {"drop_caches", true}};
  EXPECT_EQ(error_of(config_with(p)),
            "config: phases[0].cache.drop_caches: needs \"allow_drop_caches\": true at the top "
            "level of the config");
}

}  // namespace aistor
