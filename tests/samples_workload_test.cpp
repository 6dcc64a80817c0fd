// Integration: the samples workload through the runner on generated datasets, every engine and
// format, with the counts the configuration implies; verification catching a corrupted sample;
// AU arithmetic when compute dominates; config errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "core/error.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/dataset_index.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor {
namespace {

nlohmann::json dataset(const std::string& format, std::uint64_t samples) {
  return {{"format", format}, {"samples", samples},
          {"files", 3},       {"fan_out", 4},
          {"seed", 5},        {"sizes", {{"kind", "uniform"}, {"min", "100B"}, {"max", "9000B"}}}};
}

struct Case {
  nlohmann::json engine;
  std::string format;
};

class SamplesPerEngine : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const auto name = GetParam().engine["name"].get<std::string>();
    Availability a = find_engine(name)->probe(dir_.path());
    if (!a.available) GTEST_SKIP() << name << " unavailable here: " << a.reason;
  }
  test::ScratchDir dir_;
};

// Two epochs of 700 samples in batches of 32 over 2 readers and 2 accelerators: every sample
// delivered and verified once per epoch, each epoch's bytes equal the dataset's payload.
TEST_P(SamplesPerEngine, DeliversEverySampleOncePerEpochVerified) {
  constexpr std::uint64_t kSamples = 700;
  auto phase = test::run_phase(dir_.path(), {{"workload", "samples"},
                                             {"dataset", dataset(GetParam().format, kSamples)},
                                             {"epochs", 2},
                                             {"batch_size", 32},
                                             {"read_threads", 2},
                                             {"accelerators", 2},
                                             {"verify", true},
                                             {"engine", GetParam().engine}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  const auto& w = phase["workload_metrics"];
  const std::uint64_t payload = w["dataset"]["payload_bytes"];
  EXPECT_EQ(w["dataset"]["samples"], kSamples);
  EXPECT_EQ(w["samples"], 2 * kSamples);
  EXPECT_EQ(w["verified_samples"], 2 * kSamples);
  EXPECT_EQ(w["delivered_bytes"], 2 * payload);
  EXPECT_EQ(w["batches_per_epoch"], 22);  // ceil(700 / 32)
  EXPECT_EQ(w["steps"], 2 * 22 - 2);      // each accelerator's first step is left out
  ASSERT_EQ(w["epochs"].size(), 2u);
  for (const auto& e : w["epochs"]) {
    EXPECT_EQ(e["samples"], kSamples);
    EXPECT_EQ(e["delivered_bytes"], payload);
  }
  EXPECT_EQ(phase["errors"]["count"], 0);
  EXPECT_EQ(phase["read"]["ops"], 2 * kSamples);  // one request per sample
  const bool direct = phase["engine"].value("direct", false);
  if (direct) {
    EXPECT_GE(phase["read"]["bytes"].get<std::uint64_t>(), 2 * payload);  // aligned around
  } else {
    EXPECT_EQ(phase["read"]["bytes"], 2 * payload);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EnginesAndFormats, SamplesPerEngine,
    testing::Values(Case{{{"name", "pread"}}, "tfrecord"}, Case{{{"name", "pread"}}, "ffrecord"},
                    Case{{{"name", "pread"}}, "raw"}, Case{{{"name", "mmap"}}, "tfrecord"},
                    Case{{{"name", "mmap"}}, "raw"}, Case{{{"name", "odirect"}}, "tfrecord"},
                    Case{{{"name", "odirect"}}, "raw"},
                    Case{{{"name", "io_uring"}, {"queue_depth", 16}}, "ffrecord"},
                    Case{{{"name", "io_uring"}, {"queue_depth", 16}}, "raw"},
                    Case{{{"name", "io_uring"}, {"queue_depth", 16}, {"direct", true}}, "tfrecord"},
                    Case{{{"name", "io_uring"}, {"queue_depth", 16}, {"direct", true}}, "raw"},
                    // Hugging Face-shaped Arrow: each row's text read where it lies in the file.
                    Case{{{"name", "pread"}}, "arrow"}, Case{{{"name", "mmap"}}, "arrow"},
                    Case{{{"name", "io_uring"}, {"queue_depth", 16}, {"direct", true}}, "arrow"},
                    // Into GPU memory (skipped without a GPU); verify checks a copy of each.
                    Case{{{"name", "gpu"}, {"host_engine", "odirect"}}, "tfrecord"},
                    Case{{{"name", "gpu"}, {"host_engine", "io_uring"}, {"queue_depth", 16}},
                         "raw"},
                    Case{{{"name", "gpu-pageable"}, {"host_engine", "pread"}}, "ffrecord"},
                    Case{{{"name", "gds"}}, "tfrecord"}),
    [](const testing::TestParamInfo<Case>& param_info) {
      std::string name = param_info.param.engine["name"].get<std::string>() +
                         (param_info.param.engine.value("direct", false) ? "_direct_" : "_") +
                         (param_info.param.engine.contains("host_engine")
                              ? param_info.param.engine["host_engine"].get<std::string>() + "_"
                              : std::string()) +
                         param_info.param.format;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// GZIP and ZLIB datasets are streamed file by file; every record delivered and verified once per
// epoch, the inflate time reported; a global shuffle is refused with the reason.
TEST(SamplesWorkload, CompressedDatasetsStreamWholeFiles) {
  for (const char* format : {"tfrecord-gzip", "tfrecord-zlib"}) {
    test::ScratchDir dir;
    auto phase = test::run_phase(dir.path(), {{"workload", "samples"},
                                              {"dataset", dataset(format, 500)},
                                              {"epochs", 2},
                                              {"batch_size", 32},
                                              {"read_threads", 2},
                                              {"accelerators", 2},
                                              {"shuffle", "files"},
                                              {"verify", true},
                                              {"engine", {{"name", "pread"}}}});
    ASSERT_EQ(phase["status"], "ok") << phase.dump();
    const auto& w = phase["workload_metrics"];
    EXPECT_EQ(w["read_mode"], "stream");
    EXPECT_EQ(w["samples"], 1000);
    EXPECT_EQ(w["verified_samples"], 1000);
    EXPECT_EQ(w["steps"], 2 * 16 - 2);
    EXPECT_GT(w["decompress_cpu_s"].get<double>(), 0.0);
    EXPECT_EQ(phase["errors"]["count"], 0);

    auto global = test::run_phase(dir.path(), {{"workload", "samples"},
                                               {"dataset", dataset(format, 500)},
                                               {"engine", {{"name", "pread"}}}});
    EXPECT_EQ(global["status"], "failed");
    EXPECT_NE(global["error"].get<std::string>().find("has no random access; use shuffle"),
              std::string::npos)
        << global["error"];
  }
}

// Runs `phase` once (it generates its dataset and must pass), then flips `mask` into byte `at` of
// sample `sample` where it lies in its file; returns the dataset's index. The next run with the
// same spec reuses the corrupted dataset.
formats::DatasetIndex corrupt_after_first_run(const std::filesystem::path& dir,
                                              const nlohmann::json& phase, std::uint64_t sample,
                                              std::uint64_t at, char mask) {
  auto first = test::run_phase(dir, phase);
  EXPECT_EQ(first["status"], "ok") << first.dump();
  const std::filesystem::path ds = first["workload_metrics"]["dataset"]["dir"].get<std::string>();
  auto index = formats::DatasetIndex::open(ds);
  const auto& ref = index.at(sample);
  EXPECT_GT(ref.length, at);
  std::fstream f(index.path_of(ref), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(ref.offset + at));
  const char c = static_cast<char>(f.peek());
  f.put(static_cast<char>(c ^ mask));
  return index;
}

TEST(SamplesWorkload, CorruptSampleIsNamedWithItsIndexFileAndOffset) {
  test::ScratchDir dir;
  const auto phase_json = nlohmann::json{{"workload", "samples"},
                                         {"dataset", dataset("tfrecord", 300)},
                                         {"verify", true},
                                         {"cache", "as-is"},
                                         {"engine", {{"name", "pread"}}}};
  const auto index = corrupt_after_first_run(dir.path(), phase_json, 123, 40, 0x20);
  const auto& ref = index.at(123);
  auto second =
      test::run_phase(dir.path(), phase_json);  // the manifest matches: the dataset is reused
  ASSERT_EQ(second["status"], "failed") << second.dump();
  const std::string error = second["error"];
  const std::string want = "sample 123: " + index.path_of(ref).string() + " at offset " +
                           std::to_string(ref.offset) + ": content checksum mismatch";
  EXPECT_NE(error.find(want), std::string::npos) << error;

  // Landed in GPU memory, the same sample is caught the same way (where there is a GPU).
  if (find_engine("gpu")->probe(dir.path()).available) {
    auto on_gpu = phase_json;
    on_gpu["engine"] = {{"name", "gpu"}, {"host_engine", "pread"}};
    auto third = test::run_phase(dir.path(), on_gpu);
    ASSERT_EQ(third["status"], "failed") << third.dump();
    EXPECT_NE(third["error"].get<std::string>().find(want), std::string::npos) << third["error"];
  }
}

// In an Arrow dataset a sample is a row's text where it lies in the file: a flipped byte there is
// named with the sample, file and offset.
TEST(SamplesWorkload, CorruptArrowSampleIsNamed) {
  test::ScratchDir dir;
  const auto phase_json = nlohmann::json{{"workload", "samples"},
                                         {"dataset", dataset("arrow", 400)},
                                         {"verify", true},
                                         {"cache", "as-is"},
                                         {"engine", {{"name", "pread"}}}};
  const auto index = corrupt_after_first_run(dir.path(), phase_json, 77, 5, 0x01);
  const auto& ref = index.at(77);
  auto second = test::run_phase(dir.path(), phase_json);
  ASSERT_EQ(second["status"], "failed") << second.dump();
  EXPECT_NE(second["error"].get<std::string>().find("sample 77: " + index.path_of(ref).string() +
                                                    " at offset " + std::to_string(ref.offset) +
                                                    ": content differs from the generated sample"),
            std::string::npos)
      << second["error"];
}

// A compressed dataset is inflated on the CPU: a GPU engine is refused with the reason.
TEST(SamplesWorkload, CompressedDatasetsRefuseGpuEngines) {
  test::ScratchDir dir;
  if (!find_engine("gpu")->probe(dir.path()).available) GTEST_SKIP() << "no GPU here";
  auto phase = test::run_phase(dir.path(), {{"workload", "samples"},
                                            {"dataset", dataset("tfrecord-gzip", 50)},
                                            {"shuffle", "files"},
                                            {"engine", {{"name", "gpu"}}}});
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_NE(phase["error"].get<std::string>().find("compressed TFRecord dataset is inflated on "
                                                   "the CPU"),
            std::string::npos)
      << phase.dump();
}

// One accelerator computing 20 ms per batch on a cached dataset: compute dominates, so AU is
// high, the compute time is at least the drawn total, and the run takes at least that long.
TEST(SamplesWorkload, AcceleratorUtilisationWhenComputeDominates) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(), {{"workload", "samples"},
                                            {"dataset", dataset("ffrecord", 400)},
                                            {"batch_size", 40},
                                            {"epochs", 2},
                                            {"compute", "20ms"},
                                            {"cache", "warm"},
                                            {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  const auto& w = phase["workload_metrics"];
  EXPECT_EQ(w["steps"], 19);  // 2 x 10 batches, the first left out
  EXPECT_GE(w["compute_s"].get<double>(), 19 * 0.020);
  EXPECT_LT(w["compute_s"].get<double>(), 19 * 0.020 + 0.2);
  EXPECT_GE(w["seconds"].get<double>(), 19 * 0.020);
  EXPECT_GT(w["au"].get<double>(), 0.9);
  EXPECT_LE(w["au"].get<double>(), 1.0);
  const double au = w["au"];
  const double compute = w["compute_s"];
  const double stall = w["stall_s"];
  EXPECT_DOUBLE_EQ(au, compute / (compute + stall));
  for (const auto& e : w["epochs"])
    EXPECT_GT(e["au"].get<double>(), 0.9);
}

TEST(SamplesWorkload, WithoutComputeAuIsNull) {
  test::ScratchDir dir;
  auto phase = test::run_phase(
      dir.path(),
      {{"workload", "samples"}, {"dataset", dataset("raw", 50)}, {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_TRUE(phase["workload_metrics"]["au"].is_null());
  EXPECT_EQ(phase["workload_metrics"]["samples"], 50);
}

TEST(SamplesWorkload, ReadsAUsersTfRecordFileByPath) {
  test::ScratchDir dir;
  const auto file = dir.path() / "train.tfrecord";
  {
    formats::TfRecordWriter w(file);
    std::vector<std::byte> payload(777, std::byte{7});
    for (int i = 0; i < 90; ++i)
      w.append(payload);
    w.finish();
  }
  auto phase =
      test::run_phase(dir.path(), {{"workload", "samples"},
                                   {"path", file.string()},
                                   {"epochs", 3},
                                   {"batch_size", 8},
                                   {"shuffle", "files"},
                                   {"engine", {{"name", "io_uring"}, {"queue_depth", 4}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["workload_metrics"]["samples"], 270);
  EXPECT_EQ(phase["workload_metrics"]["delivered_bytes"], 270 * 777);
  EXPECT_EQ(std::filesystem::file_size(file), 90u * (777 + 16));  // untouched

  // verify needs aistor's samples: refused by the plan (validate), before any run.
  const auto error = test::plan_error({{"workload", "samples"},
                                       {"path", file.string()},
                                       {"verify", true},
                                       {"engine", {{"name", "pread"}}}});
  EXPECT_NE(error.find("phases[0].verify: " + file.string() + " is not an aistor dataset"),
            std::string::npos)
      << error;
}

// A search doubles, then bisects, to the largest value that meets the target. Batches per epoch
// fall as the batch grows (ceil(100 / b)), so "at least 10 batches" holds up to b = 11.
TEST(Search, DoublesThenBisectsToTheLargestValueMeetingTheTarget) {
  test::ScratchDir dir;
  nlohmann::json config{{"dir", dir.path().string()},
                        {"phases",
                         {{{"name", "find"},
                           {"workload", "samples"},
                           {"dataset", dataset("ffrecord", 100)},
                           {"engine", {{"name", "pread"}}},
                           {"search",
                            {{"param", "batch_size"},
                             {"metric", "workload_metrics.batches_per_epoch"},
                             {"at_least", 10},
                             {"to", 40}}}}}}};
  RunOutcome out = run_plan(make_plan(config, std::nullopt), {});
  ASSERT_EQ(out.status, Status::ok);
  ASSERT_EQ(out.searches.size(), 1u);
  const auto& s = out.searches[0];
  EXPECT_EQ(s["best"], 11);
  EXPECT_FALSE(s["limited_by_range"]);
  std::vector<int> values;
  for (const auto& t : s["trials"])
    values.push_back(t["value"]);
  EXPECT_EQ(values, (std::vector<int>{1, 2, 4, 8, 16, 12, 10, 11}));
  ASSERT_EQ(out.phases.size(), 8u);
  EXPECT_EQ(out.phases[5]["name"], "find[batch_size=12]");
  EXPECT_EQ(out.phases[5]["params"]["batch_size"], 12);
  EXPECT_EQ(out.phases[5]["workload_metrics"]["batches_per_epoch"], 9);
}

TEST(SamplesWorkload, ConfigErrorsNameTheKey) {
  test::ScratchDir dir;
  auto expect_error = [&](const nlohmann::json& phase, const std::string& what) {
    nlohmann::json config{{"dir", dir.path().string()}, {"phases", nlohmann::json::array({phase})}};
    try {
      (void)make_plan(config, std::nullopt);
      ADD_FAILURE() << "accepted: " << phase.dump();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error({{"workload", "samples"}}, "phases[0].dataset: give exactly one of");
  expect_error({{"workload", "samples"}, {"dataset", dataset("raw", 10)}, {"path", "/x"}},
               "give exactly one of");
  expect_error({{"workload", "samples"}, {"dataset", dataset("raw", 10)}, {"batch_size", 0}},
               "phases[0].batch_size");
  expect_error({{"workload", "samples"},
                {"dataset", dataset("raw", 10)},
                {"batch_size", 64},
                {"drop_last", true}},
               "no batch is left");
  expect_error({{"workload", "samples"}, {"dataset", dataset("raw", 10)}, {"shuffle", "yes"}},
               "phases[0].shuffle");
  expect_error({{"workload", "samples"},
                {"dataset", dataset("raw", 10)},
                {"compute", {{"distribution", "normal"}, {"mean", "1ms"}}}},
               "phases[0].compute.stddev");
  expect_error({{"workload", "samples"}, {"dataset", dataset("raw", 10)}, {"epoch", 2}},
               "phases[0].epoch");
  expect_error(
      {{"workload", "samples"}, {"dataset", dataset("raw", 10)}, {"search", {{"param", "gpus"}}}},
      "phases[0].search.param: \"gpus\" is not a key workload samples takes");
  expect_error({{"workload", "samples"},
                {"dataset", dataset("raw", 10)},
                {"search", {{"param", "accelerators"}, {"to", 100000}}}},
               "phases[0].search.to: accelerators = 100000 is refused: must be at most 4096");
  expect_error({{"workload", "samples"},
                {"dataset", dataset("raw", 10)},
                {"repeat", 3},
                {"search", {{"param", "accelerators"}}}},
               "phases[0].repeat: a search runs its own trials");
}

}  // namespace
}  // namespace aistor
