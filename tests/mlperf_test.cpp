// MLPerf Storage rules mode: the presets' parameters exact, the configs they make, each rule's
// PASS and FAIL, and bad input.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "report/mlperf_table.hpp"
#include "workloads/mlperf/mlperf_presets.hpp"
#include "workloads/mlperf/mlperf_rules.hpp"

namespace aistor {
namespace {

const TrainingPreset& training(const std::string& name) {
  for (const auto& p : training_presets())
    if (p.name == name) return p;
  throw std::logic_error("no preset " + name);
}

TEST(MlperfPresets, TrainingParametersAreMlperfs) {
  const auto& u = training("unet3d");
  EXPECT_EQ(u.sample_bytes, 146'600'628u);
  EXPECT_EQ(u.batch, 7u);
  EXPECT_DOUBLE_EQ(u.step_s, 0.323);
  EXPECT_DOUBLE_EQ(u.au, 0.90);
  const auto& r = training("retinanet");
  EXPECT_EQ(r.sample_bytes, 153'600u);
  EXPECT_EQ(r.sample_stdev, 51'200u);
  EXPECT_EQ(r.files, 1'743'042u);
  EXPECT_EQ(r.batch, 16u);
  EXPECT_EQ(r.read_threads, 8u);
  EXPECT_DOUBLE_EQ(r.step_s, 0.180);
  EXPECT_DOUBLE_EQ(r.au, 0.85);
  const auto& f = training("flux");
  EXPECT_EQ(f.sample_bytes, 307'200u);
  EXPECT_EQ(f.sample_stdev, 102'400u);
  EXPECT_EQ(f.files, 1'099'776u);
  EXPECT_EQ(f.batch, 8u);
  EXPECT_DOUBLE_EQ(f.step_s, 0.850);
  EXPECT_DOUBLE_EQ(f.au, 0.80);
  const auto& d = training("dlrm");
  EXPECT_EQ(d.sample_bytes, 512u);
  EXPECT_EQ(d.files, 65'536u);
  EXPECT_EQ(d.batch, 8192u);
  EXPECT_DOUBLE_EQ(d.step_s, 0.005);
  EXPECT_DOUBLE_EQ(d.au, 0.70);
  EXPECT_DOUBLE_EQ(training("cosmoflow").au, 0.70);
  EXPECT_EQ(training("resnet50").samples(), 1024u * 1251u);
  // Per accelerator where MLPerf's configs differ: step time, and for b200 batch and records too.
  EXPECT_DOUBLE_EQ(training_preset("retinanet", "a100").step_s, 0.210);
  EXPECT_DOUBLE_EQ(training_preset("flux", "a100").step_s, 1.100);
  EXPECT_DOUBLE_EQ(training_preset("dlrm", "a100").step_s, 0.007);
  const auto& b = training_preset("retinanet", "b200");
  EXPECT_EQ(b.sample_bytes, 322'957u);
  EXPECT_EQ(b.files, 1'170'301u);
  EXPECT_EQ(b.batch, 24u);
  EXPECT_DOUBLE_EQ(b.step_s, 0.04755);
  EXPECT_EQ(training_preset("retinanet", "mi355").batch, 32u);
  try {
    (void)training_preset("flux", "b200");
    ADD_FAILURE() << "flux on b200 (parquet) was accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "mlperf training flux: no b200 parameters in MLPerf's configs here (known: "
                 "h100, a100)");
  }
}

TEST(MlperfPresets, ATrainingConfigIsAWarmUpAndFiveRunsOrASearch) {
  MlperfRun run;
  run.dir = "/data";
  run.scale = 0.001;
  run.accelerators = 4;
  const auto c = training_config("retinanet", run);
  ASSERT_EQ(c["phases"].size(), 2u);
  const auto& warm = c["phases"][0];
  const auto& runs = c["phases"][1];
  EXPECT_EQ(warm["name"], "warm-up");
  EXPECT_EQ(warm["epochs"], 1);
  EXPECT_EQ(runs["repeat"], 5);
  EXPECT_EQ(runs["epochs"], 5);
  EXPECT_EQ(runs["accelerators"], 4);
  EXPECT_EQ(runs["batch_size"], 16);
  EXPECT_EQ(runs["drop_last"], true);
  EXPECT_EQ(runs["engine"], (nlohmann::json{{"name", "io_uring"}}));  // 150 KB: through the cache
  EXPECT_EQ(runs["compute"], "180000us");
  EXPECT_EQ(runs["dataset"]["samples"], 1743);  // 1,743,042 x 0.001, rounded down
  EXPECT_EQ(runs["dataset"]["sizes"]["kind"], "normal");
  EXPECT_EQ(runs["dataset"]["sizes"]["stdev"], "51200B");
  run.epochs = 2;
  EXPECT_EQ(training_config("retinanet", run)["phases"][1]["epochs"], 2);
  run.epochs.reset();
  run.accelerators.reset();
  run.scale = 0.5;
  run.engine = "odirect";
  const auto s = training_config("unet3d", run);
  ASSERT_EQ(s["phases"].size(), 1u);
  EXPECT_EQ(s["phases"][0]["search"]["at_least"], 0.90);
  EXPECT_EQ(s["phases"][0]["dataset"]["samples"], 84);
  EXPECT_EQ(s["phases"][0]["engine"]["name"], "odirect");
  // 84 samples in batches of 7: at most 1 accelerator keeps 10 steps an epoch.
  EXPECT_EQ(s["phases"][0]["search"]["to"], 1);
  run.engine.clear();
  run.scale = 1;
  run.search_from = 4;
  const auto d = training_config("unet3d", run);
  EXPECT_EQ(d["phases"][0]["engine"], (nlohmann::json{{"name", "io_uring"}, {"direct", true}}));
  EXPECT_EQ(d["phases"][0]["search"]["from"], 4);
  EXPECT_EQ(d["phases"][0]["search"]["to"], 4);  // 168 / 70 = 2, never below from
}

TEST(MlperfPresets, ACheckpointConfigIsTenSavesThenTenColdRestoresSizedAsDlio) {
  MlperfRun run;
  run.dir = "/ckpt";
  run.scale = 0.01;
  const auto c = checkpoint_config("llama3-70b", run);
  ASSERT_EQ(c["phases"].size(), 2u);
  EXPECT_EQ(c["phases"][0]["op"], "save");
  EXPECT_EQ(c["phases"][0]["repeat"], 10);
  EXPECT_EQ(c["phases"][0]["sizing"], "dlio");
  EXPECT_EQ(c["phases"][0]["parallel"],
            (nlohmann::json{{"tp", 8}, {"pp", 1}, {"dp", 8}, {"zero", 3}}));
  EXPECT_EQ(c["phases"][0]["model"]["heads"], 128);
  EXPECT_EQ(c["phases"][1]["op"], "restore");
  EXPECT_EQ(c["phases"][1]["cache"], "cold");
  EXPECT_EQ(c["phases"][1]["repeat"], 10);
}

TEST(MlperfPresets, AnUnknownPresetOrAnEmptyScaleIsOneLine) {
  MlperfRun run;
  run.accelerators = 1;
  try {
    (void)training_config("bert", run);
    ADD_FAILURE() << "an unknown preset was accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "mlperf training: no preset \"bert\" (known: unet3d, retinanet, flux, dlrm, "
                 "resnet50, cosmoflow)");
  }
  run.scale = 1e-4;
  EXPECT_THROW((void)training_config("unet3d", run), InputError);  // 168 x 1e-4: no file
  EXPECT_THROW((void)checkpoint_config("llama3-3b", run), InputError);
}

TEST(MlperfRules, EachTrainingRulePassesAndFails) {
  TrainingFacts f;
  f.dataset_bytes = 100;
  f.ram_bytes = 20;
  f.samples = 16 * 500;
  f.batch = 16;
  f.accelerators = 1;
  f.warmups = 1;
  f.runs = 5;
  f.same_filesystem = false;
  auto rules = training_rules(f);
  ASSERT_EQ(rules.size(), 4u);
  for (const auto& r : rules)
    EXPECT_TRUE(r.pass) << r.rule << ": " << r.figure;
  EXPECT_EQ(rules[1].figure, "8000 samples / (batch 16 x 1 accelerators) = 500 steps");
  f.dataset_bytes = 99;  // under 5 x RAM, read through the page cache
  f.accelerators = 2;    // 250 steps
  f.runs = 4;
  f.same_filesystem = true;
  rules = training_rules(f);
  for (const auto& r : rules)
    EXPECT_FALSE(r.pass) << r.rule << ": " << r.figure;
  f.direct = true;  // O_DIRECT defeats the cache
  EXPECT_TRUE(training_rules(f)[0].pass);
  EXPECT_NE(training_rules(f)[0].figure.find("O_DIRECT"), std::string::npos);
}

TEST(MlperfRules, EachCheckpointRulePassesAndFails) {
  CheckpointFacts f;
  f.bytes = 10;
  f.ram_bytes = 10;
  f.cold_restores = true;
  f.saves = 10;
  f.restores = 10;
  auto rules = checkpoint_rules(f);
  ASSERT_EQ(rules.size(), 3u);
  for (const auto& r : rules)
    EXPECT_TRUE(r.pass) << r.rule;
  f.cold_restores = false;  // under 3 x RAM and warm: fails
  f.restores = 9;
  f.same_filesystem = true;
  rules = checkpoint_rules(f);
  for (const auto& r : rules)
    EXPECT_FALSE(r.pass) << r.rule;
  f.bytes = 30;  // 3 x RAM: no cache to clear
  EXPECT_TRUE(checkpoint_rules(f)[1].pass);
  EXPECT_EQ(to_json(checkpoint_rules(f))[1]["status"], "PASS");
}

// The summary: a row per run (training: accelerators, AU, rates; checkpoint: the slowest rank's
// time and the bytes over it), a row per rule; a phase that failed keeps its row.
TEST(MlperfTable, ARowPerRunWithItsVerdictThenTheRules) {
  const nlohmann::json report{
      {"mlperf",
       {{"kind", "training"},
        {"preset", "unet3d"},
        {"scale", 0.25},
        {"au_goal", 0.9},
        {"rules", nlohmann::json::array({{{"rule", "1 warm-up + 5 runs"},
                                          {"status", "FAIL"},
                                          {"figure", "1 warm-up, 1 runs"}}})}}},
      {"phases", nlohmann::json::array(
                     {{{"name", "run"},
                       {"workload", "samples"},
                       {"repetition", 0},
                       {"status", "ok"},
                       {"verdict", {{"source", "storage"}, {"bound", "think time"}}},
                       {"workload_metrics",
                        {{"accelerators", 3},
                         {"au", 0.9123},
                         {"samples_per_s", 64.25},
                         {"delivered_bytes_per_s", 9.5e9},
                         {"seconds", 2.5}}}},
                      {{"name", "save"},
                       {"workload", "checkpoint"},
                       {"status", "ok"},
                       {"workload_metrics",
                        {{"op", "save"},
                         {"bytes", 3u << 30},
                         {"time_to_durable_s", 1.5},
                         {"durable_bytes_per_s", 2.147e9}}}},
                      {{"name", "restore"}, {"workload", "checkpoint"}, {"status", "failed"}}})}};
  const auto tables = mlperf_tables({report});
  ASSERT_EQ(tables.size(), 2u);
  const auto& runs = tables[0].rows;
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0][0], "preset");
  EXPECT_EQ(runs[1],
            (std::vector<std::string>{"training unet3d", "run #1", "3", "0.912", "0.90", "64.2",
                                      "9500.0", "-", "2.500", "-", "storage", "think time", "ok"}));
  EXPECT_EQ(runs[2][7], "3G");
  EXPECT_EQ(runs[2][8], "1.500");
  EXPECT_EQ(runs[2][9], "2.15");
  EXPECT_EQ(runs[3][1], "restore");
  EXPECT_EQ(runs[3].back(), "failed");
  ASSERT_EQ(tables[1].rows.size(), 2u);
  EXPECT_EQ(tables[1].rows[1], (std::vector<std::string>{"training unet3d", "1 warm-up + 5 runs",
                                                         "FAIL", "1 warm-up, 1 runs"}));
  EXPECT_TRUE(mlperf_tables({nlohmann::json{{"phases", nlohmann::json::array()}}})[0].empty());
}

}  // namespace
}  // namespace aistor
