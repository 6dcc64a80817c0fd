// The model-load workload on real files: exact bytes for each order, shards, direct I/O, the first
// tensor's time, and bad model files failing the phase with the file and offset.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "engines/registry.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/model_file.hpp"

namespace aistor {
namespace {

using formats::ModelFormat;

const std::vector<formats::TensorSpec> kTensors{
    {"embed", "BF16", {300, 512}}, {"norm", "F32", {7}}, {"w", "F16", {1000, 600}}};

nlohmann::json phase_for(const std::filesystem::path& path, const nlohmann::json& extra) {
  nlohmann::json p{{"workload", "model-load"},
                   {"path", path.string()},
                   {"cache", "as-is"},
                   {"chunk_size", "256KiB"}};
  p.update(extra);
  return p;
}

}  // namespace

TEST(ModelLoad, TensorOrderReadsHeaderAndTensorsExactly) {
  test::ScratchDir dir;
  const auto m = formats::write_model_file(dir.path() / "m.safetensors", ModelFormat::safetensors,
                                           kTensors, 5);
  auto phase = test::run_phase(dir.path(), phase_for(m.path, {{"threads", 2}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["bytes"].get<std::uint64_t>(), m.file_bytes);  // contiguous: all of it
  const auto& w = phase["workload_metrics"];
  EXPECT_EQ(w["tensors"], 3);
  EXPECT_EQ(w["tensor_bytes"].get<std::uint64_t>(), 307200u + 28u + 1200000u);
  EXPECT_EQ(w["requested_bytes"].get<std::uint64_t>(), m.file_bytes);
  // header (1 request), embed 307200 = 2 chunks, norm 1, w 1200000 = 5 chunks
  EXPECT_EQ(phase["ops"], 9);
  ASSERT_TRUE(w["first_tensor_s"].is_number()) << w.dump();
  // Both count from before the files were opened; the load ends after the first tensor, and
  // lasts at least as long as the recorder's first-request-to-last-completion.
  EXPECT_GT(w["first_tensor_s"].get<double>(), 0.0);
  EXPECT_LE(w["first_tensor_s"].get<double>(), w["load_s"].get<double>());
  EXPECT_GE(w["load_s"].get<double>(), phase["duration_s"].get<double>());
  EXPECT_DOUBLE_EQ(w["load_bytes_per_s"].get<double>(),
                   static_cast<double>(m.file_bytes) / w["load_s"].get<double>());
}

TEST(ModelLoad, GgufPaddingIsSkippedAndRangeOrderReadsTheFile) {
  test::ScratchDir dir;
  const std::vector<formats::TensorSpec> ts{
      {"a", "Q8_0", {64, 3}}, {"b", "F32", {5}}, {"c", "Q4_K", {256, 40}}};
  const auto m = formats::write_model_file(dir.path() / "m.gguf", ModelFormat::gguf, ts, 5);
  auto phase = test::run_phase(dir.path(), phase_for(m.path, nlohmann::json::object()));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["bytes"].get<std::uint64_t>(), m.data_offset + 204 + 20 + 40 * 144);
  phase = test::run_phase(dir.path(), phase_for(m.path, {{"order", "range"}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["bytes"].get<std::uint64_t>(), m.file_bytes);
}

TEST(ModelLoad, DirectReadsAreAlignedAndShardsAreAllRead) {
  test::ScratchDir dir;
  if (!find_engine("odirect")->probe(dir.path()).available) GTEST_SKIP() << "no O_DIRECT here";
  std::filesystem::create_directory(dir.path() / "shards");
  std::uint64_t total = 0;
  for (int i = 0; i < 2; ++i) {
    total += formats::write_model_file(dir.path() / "shards" / fmt::format("m-{}.safetensors", i),
                                       ModelFormat::safetensors, kTensors, i)
                 .file_bytes;
  }
  auto phase = test::run_phase(
      dir.path(), phase_for(dir.path() / "shards", {{"engine", {{"name", "odirect"}}}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["workload_metrics"]["files"], 2);
  EXPECT_EQ(phase["workload_metrics"]["requested_bytes"].get<std::uint64_t>(), total);
  // Aligned outward around every request, and short at each file's unaligned end.
  EXPECT_GE(phase["bytes"].get<std::uint64_t>(), total);
  EXPECT_EQ(phase["ops"], 18);
}

TEST(ModelLoad, BadModelFilesFailThePhaseWithFileAndOffset) {
  test::ScratchDir dir;
  const auto m = formats::write_model_file(dir.path() / "m.safetensors", ModelFormat::safetensors,
                                           kTensors, 5);
  std::filesystem::resize_file(m.path, m.file_bytes - 1);
  auto phase = test::run_phase(dir.path(), phase_for(m.path, nlohmann::json::object()));
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_NE(phase.value("error", "").find("m.safetensors: tensor \"w\" (1200000 bytes at offset"),
            std::string::npos)
      << phase.dump();
  phase =
      test::run_phase(dir.path(), phase_for(dir.path() / "none.gguf", nlohmann::json::object()));
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_NE(phase.value("error", "").find("none.gguf: no such model file or directory"),
            std::string::npos)
      << phase.dump();
}

// A generated model is rewritten when aistor made it and it broke; a user's file under the same
// name that is not that model is refused and left as it was.
TEST(ModelLoad, AGeneratedModelReplacesOnlyFilesAistorMade) {
  test::ScratchDir ours;
  const nlohmann::json gen{{"workload", "model-load"},
                           {"model", {{"size", "4MiB"}, {"format", "safetensors"}}}};
  auto phase = test::run_phase(ours.path(), gen);
  ASSERT_EQ(phase["status"], "ok") << phase.value("error", "");
  std::filesystem::path made;
  for (const auto& e : std::filesystem::directory_iterator(ours.path())) {
    if (e.path().extension() == ".safetensors") made = e.path();
  }
  ASSERT_FALSE(made.empty());
  std::filesystem::resize_file(made, 100);  // ours, broken: generated again
  EXPECT_EQ(test::run_phase(ours.path(), gen)["status"], "ok");
  EXPECT_GT(std::filesystem::file_size(made), 4000000u);

  test::ScratchDir theirs;
  const auto user = test::write_pattern_file(theirs.path() / made.filename(), 1000, 3);
  phase = test::run_phase(theirs.path(), gen);
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"], user.string() + ": exists, aistor did not create it (it is not in " +
                                (theirs.path() / "aistor-files.json").string() +
                                "), and it is not the model this phase generates: refusing to "
                                "replace it");
  EXPECT_EQ(std::filesystem::file_size(user), 1000u);
}

}  // namespace aistor
