// report/run_report and report/table_registry: a run's report and its named tables, built
// without the CLI.
#include "report/run_report.hpp"

#include <gtest/gtest.h>

#include "report/table_registry.hpp"
#include "test_support.hpp"

namespace aistor {
namespace {

TEST(RunReport, AssemblesToolHostTargetsAndProcess) {
  test::ScratchDir d;
  RunFacts facts;
  facts.started_at = "2026-12-07T00:00:00Z";
  facts.status = Status::interrupted;
  facts.engines_compiled = {"pread", "io_uring"};
  facts.targets = {d.path(), d.path(), d.path() / "missing"};
  facts.gpu_note = "no GPU here";
  facts.phases = nlohmann::json::array({{{"name", "p"}, {"status", "interrupted"}}});
  const auto r = make_run_report(facts);
  EXPECT_EQ(r["schema"], "aistor.report/1");
  EXPECT_EQ(r["status"], "interrupted");
  EXPECT_EQ(r["tool"]["name"], "aistor");
  EXPECT_EQ(r["tool"]["engines_compiled"], nlohmann::json({"pread", "io_uring"}));
  EXPECT_EQ(r["host"]["gpus"], nlohmann::json::array());
  EXPECT_EQ(r["host"]["gpu_note"], "no GPU here");
  ASSERT_EQ(r["targets"].size(), 2u);  // each target once
  EXPECT_EQ(r["targets"][0]["path"], d.path().string());
  EXPECT_TRUE(r["targets"][1].contains("error"));  // a target that cannot be probed is a row
  EXPECT_GT(r["process"]["max_rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(r["phases"].size(), 1u);
}

TEST(TableRegistry, FindsEveryTableTheCliOffersAndNothingElse) {
  for (const char* name :
       {"phases", "training", "checkpoint", "kv-cache", "ollama-load", "model-load", "storm",
        "ranks", "packing", "side-by-side", "vector-search", "replay", "mlperf"}) {
    const NamedTable* t = find_table(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->name, name);
    EXPECT_FALSE(t->when_empty.empty());
  }
  EXPECT_EQ(find_table("summary"), nullptr);  // the default view, not a named table
  EXPECT_EQ(find_table("nope"), nullptr);
  EXPECT_EQ(named_tables().size(), 13u);
}

TEST(TableRegistry, NoReportsGiveNothingToRender) {
  for (const auto& t : named_tables()) {
    for (const auto& table : t.make({}))
      EXPECT_TRUE(table.empty()) << t.name;
  }
}

}  // namespace
}  // namespace aistor
