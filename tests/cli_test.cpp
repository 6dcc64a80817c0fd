// The aistor binary as a user meets it: exit codes, one-line errors, engines, Ctrl-C.
#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

namespace aistor {
namespace {

std::string binary() {
  return AISTOR_BINARY;
}

std::filesystem::path write_config(const std::filesystem::path& dir, const std::string& text) {
  auto path = dir / "config.json";
  std::ofstream(path) << text;
  return path;
}

int line_count(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

struct BadConfig {
  std::string phase_fragment;
  std::string expected;
};

class ValidateRejects : public testing::TestWithParam<BadConfig> {};

TEST_P(ValidateRejects, WithExitTwoAndOneLineNamingThePath) {
  test::ScratchDir dir;
  auto config = write_config(dir.path(), R"({"phases": [{"workload": "raw", "size": "1MiB", )" +
                                             GetParam().phase_fragment + "}]}");
  auto r = test::run_command(binary() + " validate " + config.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(GetParam().expected), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, ValidateRejects,
    testing::Values(
        BadConfig{R"("colour": "blue")", "phases[0].colour: unknown key"},
        BadConfig{R"("engine": {"name": "io_uring", "queue_depth": -1})",
                  "phases[0].engine.queue_depth: must be at least 1, got -1"},
        BadConfig{R"("block_size": "12XB")", "phases[0].block_size: \"12XB\" is not a size"},
        BadConfig{R"("threads": "8")", "phases[0].threads: must be an integer, got string"},
        BadConfig{R"("runtime": true)", "phases[0].runtime: must be a duration, got boolean"}));

TEST(Cli, ValidateAcceptsTheShippedConfigs) {
  int configs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(AISTOR_SOURCE_DIR "/configs")) {
    if (entry.path().extension() != ".json") continue;
    ++configs;
    auto r = test::run_command(binary() + " validate " + entry.path().string());
    EXPECT_EQ(r.exit_code, 0) << entry.path() << ": " << r.output;
    EXPECT_NE(r.output.find("ok: "), std::string::npos) << entry.path();
  }
  EXPECT_GE(configs, 5);
}

TEST(Cli, SyntaxErrorsGiveFileLineAndColumn) {
  test::ScratchDir dir;
  auto config = write_config(dir.path(), "{\n \"phases\": [\n  {\"workload\": \"raw\",}\n ]\n}\n");
  auto r = test::run_command(binary() + " validate " + config.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(config.string() + ":3:"), std::string::npos) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
}

TEST(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(test::run_command(binary() + " frobnicate").exit_code, 2);
  EXPECT_EQ(test::run_command(binary() + " run").exit_code, 2);
  EXPECT_EQ(test::run_command(binary() + " run /nonexistent.json").exit_code, 2);
  EXPECT_EQ(test::run_command(binary() + " validate x.json --bogus").exit_code, 2);
  EXPECT_EQ(test::run_command(binary() + " --help").exit_code, 0);
}

TEST(Cli, EnginesListsEveryHostEngineWithAvailability) {
  test::ScratchDir dir;
  auto r = test::run_command(binary() + " engines --dir " + dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* name :
       {"pread ", "odirect ", "mmap ", "io_uring ", "gpu ", "gpu-pageable ", "gds "}) {
    EXPECT_NE(r.output.find(std::string("\n") + name), std::string::npos) << name << r.output;
  }
  EXPECT_NE(r.output.find("\npread         yes"), std::string::npos) << r.output;
  // The GPU engines are listed on every machine; where they cannot run, with the reason.
  const auto gpu = r.output.find("\ngpu           ");
  ASSERT_NE(gpu, std::string::npos) << r.output;
  const std::string line = r.output.substr(gpu + 1, r.output.find('\n', gpu + 1) - gpu - 1);
  if (line.find(" no ") != std::string::npos) {
    EXPECT_TRUE(line.find("no GPU") != std::string::npos ||
                line.find("built without CUDA") != std::string::npos)
        << line;
  }
}

TEST(Cli, RunWritesAReportAndOverridesApply) {
  test::ScratchDir dir;
  auto config = write_config(
      dir.path(),
      R"({"phases": [{"name": "p", "workload": "raw", "size": "4MiB", "block_size": "1MiB"}]})");
  auto report = dir.path() / "r.json";
  auto r = test::run_command(binary() + " run " + config.string() + " --dir " +
                             (dir.path() / "data").string() + " --output " + report.string() +
                             " --set phases.0.block_size=512KiB");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(std::ifstream(report));
  EXPECT_EQ(j["schema"], "aistor.report/1");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["phases"][0]["ops"], 8);
  EXPECT_EQ(j["phases"][0]["io_pattern"]["summary"], "r=512K seq");
  EXPECT_EQ(j["config"]["phases"][0]["block_size"], "512KiB");
  EXPECT_NE(r.output.find("r=512K seq"), std::string::npos) << "summary table: " << r.output;
}

TEST(Cli, GenDatasetThenInspectAndCatchACorruptCopy) {
  test::ScratchDir dir;
  auto ds = dir.path() / "ds";
  auto gen = test::run_command(binary() + " gen dataset --dir " + ds.string() +
                               " --format ffrecord --samples 200 --files 2 --seed 4");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto ok = test::run_command(binary() + " inspect " + ds.string() + " --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  auto j = nlohmann::json::parse(ok.output);
  EXPECT_EQ(j["records"], 200);
  EXPECT_EQ(j["format"], "ffrecord");
  EXPECT_EQ(j["payload_bytes"], 200 * 4096);
  // One flipped byte in the second file's 7th sample: exit 1, one line with file and sample.
  auto file = ds / "part-00001-of-00002.ffr";
  std::uint64_t header = 12 + 12 * 100;
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(header + 6 * 4096 + 100));
    f.put('\x7f');
  }
  auto bad = test::run_command(binary() + " inspect " + ds.string());
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_EQ(line_count(bad.output), 1) << bad.output;
  EXPECT_NE(
      bad.output.find(file.string() + ": sample 6 at offset " + std::to_string(header + 6 * 4096)),
      std::string::npos)
      << bad.output;
  // A directory aistor did not make is refused, and left as it was.
  std::filesystem::create_directories(dir.path() / "theirs");
  std::ofstream(dir.path() / "theirs" / "x") << "x";
  auto refused = test::run_command(binary() + " gen dataset --dir " +
                                   (dir.path() / "theirs").string() + " --samples 5");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "theirs" / "x"));
}

TEST(Cli, CtrlCStopsWithinASecondAndWritesAnInterruptedReport) {
  test::ScratchDir dir;
  auto config = write_config(dir.path(), R"({"phases": [
      {"name": "long", "workload": "raw", "rw": "randread", "size": "8MiB", "block_size": "4KiB",
       "runtime": "60s", "time_based": true, "cache": "as-is"},
      {"name": "never", "workload": "raw", "size": "1MiB"}]})");
  auto report = dir.path() / "r.json";
  std::string cmd = binary() + " run " + config.string() + " --dir " +
                    (dir.path() / "data").string() + " --output " + report.string() +
                    " > /dev/null 2>&1 & pid=$!; sleep 1.5; kill -INT $pid; "
                    "start=$(date +%s%N); wait $pid; rc=$?; end=$(date +%s%N); "
                    "echo rc=$rc ms=$(( (end - start) / 1000000 ))";
  auto r = test::run_command(cmd);
  ASSERT_NE(r.output.find("rc=1 "), std::string::npos) << r.output;
  auto ms = std::stoi(r.output.substr(r.output.find("ms=") + 3));
  EXPECT_LT(ms, 1000) << r.output;
  auto j = nlohmann::json::parse(std::ifstream(report));
  EXPECT_EQ(j["status"], "interrupted");
  ASSERT_EQ(j["phases"].size(), 1u);
  EXPECT_EQ(j["phases"][0]["status"], "interrupted");
  EXPECT_GT(j["phases"][0]["ops"].get<int>(), 0);
}

}  // namespace
}  // namespace aistor

namespace aistor {

TEST(Cli, GenModelWritesFilesInspectReads) {
  test::ScratchDir dir;
  const auto gguf = (dir.path() / "m.gguf").string();
  auto r = test::run_command(binary() + " gen model --preset 7b --scale 0.04 --format gguf --out " +
                             gguf);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("gguf 12 tensors (1 layers, Q4_K)"), std::string::npos) << r.output;
  r = test::run_command(binary() + " inspect " + gguf);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(": gguf v3\n  tensors 12,"), std::string::npos) << r.output;
  const auto st = (dir.path() / "m.safetensors").string();
  r = test::run_command(binary() + " gen model --size 300MiB --out " + st);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_command(binary() + " inspect " + st + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["format"], "safetensors");
  EXPECT_EQ(j["dtypes"].size(), 1u);
  EXPECT_EQ(j["file_bytes"].get<std::uint64_t>(),
            j["tensor_bytes"].get<std::uint64_t>() + j["header_bytes"].get<std::uint64_t>());
  // A cut-off file is a failed check: exit 1, one line with the offset.
  std::filesystem::resize_file(st, 100);
  r = test::run_command(binary() + " inspect " + st);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("runs past the end of the file"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  r = test::run_command(binary() + " gen model --preset 70b --out " + st);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown model preset \"70b\""), std::string::npos) << r.output;
}

}  // namespace aistor

namespace aistor {

TEST(Cli, OllamaLoadTableFromReports) {
  test::ScratchDir dir;
  const auto model = (dir.path() / "m.gguf").string();
  auto r =
      test::run_command(binary() + " gen model --preset llama2-7b --scale 0.03 --format gguf " +
                        "--dtype Q8_0 --out " + model);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto config = write_config(dir.path(), R"({"phases": [{"name": "llama", "workload": "model-load",
      "path": ")" + model + R"(", "chunk_size": "128KiB", "cache": "as-is"}]})");
  const auto out = (dir.path() / "r.json").string();
  r = test::run_command(binary() + " run " + config.string() + " --dir " + dir.path().string() +
                        " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\nmodel  "), std::string::npos) << r.output;  // in the run's summary
  r = test::run_command(binary() + " report --table ollama-load " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("model  params  size", 0), 0u) << r.output;
  // LLaMA-2-7B's embeddings and output (2 x 32000 x 4096) and one layer, in Q8_0.
  EXPECT_NE(r.output.find("llama  0.5B    0.5 GB  aistor pread, 128K chunks by tensors"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("r=128K seq"), std::string::npos) << r.output;
  r = test::run_command(binary() + " report --table ollama-load " + config.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no model-load phases"), std::string::npos) << r.output;
  r = test::run_command(binary() + " report --table nope " + out);
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, PackingTableFromAGeneratedArrowDatasetPackedAndReadBack) {
  test::ScratchDir dir;
  const auto src = (dir.path() / "hf").string();
  auto r = test::run_command(binary() + " gen dataset --format arrow --samples 600 --files 2 " +
                             "--dir " + src);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_command(binary() + " inspect " + src);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("records 600"), std::string::npos) << r.output;
  auto config = write_config(dir.path(), R"({"phases": [
      {"name": "ro", "workload": "pack", "read_only": true, "cache": "as-is",
       "source": {"path": ")" + src + R"("}},
      {"name": "p", "workload": "pack", "cache": "as-is", "source": {"path": ")" +
                                             src + R"("},
       "target": {"format": "ffrecord"}}]})");
  const auto out = (dir.path() / "r.json").string();
  r = test::run_command(binary() + " run " + config.string() + " --dir " + dir.path().string() +
                        " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_command(binary() + " report --table packing --format csv " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("# packing\ndataset,from,to,time,throughput,read only,I/O pattern\n" +
                               src + ",Arrow,FFRecord,",
                           0),
            0U)
      << r.output;
  // The packed files are a dataset aistor reads: two FFRecord files, every checksum checked.
  r = test::run_command(binary() + " inspect " + (dir.path() / "packed-ffrecord").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("records 600"), std::string::npos) << r.output;
}

TEST(Cli, ReportRendersMarkdownCsvHtmlAndSideBySide) {
  test::ScratchDir dir;
  auto write = [&](const std::string& name, const std::string& device, double rate) {
    const auto path = (dir.path() / name).string();
    std::ofstream(path) << nlohmann::json{
        {"targets", {{{"device", device}, {"filesystem", "ext4"}}}},
        {"phases",
         {{{"name", "seq"},
           {"status", "ok"},
           {"bytes_per_s", rate},
           {"iops", 10},
           {"engine", {{"name", "pread"}}},
           {"io_pattern", {{"summary", "r=1M seq"}}},
           {"latency_ns", {{"p50", 1000}, {"p99", 2000}}}}}}};
    return path;
  };
  const auto a = write("a.json", "sda", 1e8), b = write("b.json", "sdb", 2e8);
  auto r = test::run_command(binary() + " report --format md " + a);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("### phases\n\n| phase | engine |", 0), 0U) << r.output;
  r = test::run_command(binary() + " report --format csv --table phases " + a);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "# phases\nphase,engine,pattern,MB/s,IOPS,p50,p99,resident,from,bound,status\n"
            "seq,pread,r=1M seq,100.0,10,1.0 us,2.0 us,0%,,,ok\n");
  r = test::run_command(binary() + " report " + a + " " + b);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("phase  sda MB/s  sdb MB/s  sdb / sda"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2.00x"), std::string::npos) << r.output;
  r = test::run_command(binary() + " report --table side-by-side " + a + " " + a);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("targets differ"), std::string::npos) << r.output;
  const auto html = (dir.path() / "r.html").string();
  r = test::run_command(binary() + " report --format html -o " + html + " " + a + " " + b);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(html);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_NE(page.find("Side by side by target"), std::string::npos);
  r = test::run_command(binary() + " report --format xml " + a);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown format xml"), std::string::npos) << r.output;
  r = test::run_command(binary() + " report --format html --table storm " + a);
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_command(binary() + " report -o " + (dir.path() / "no/such/dir").string() + " " + a);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot write"), std::string::npos) << r.output;
  r = test::run_command(binary() + " report --format");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--format needs a value"), std::string::npos) << r.output;
}

TEST(Cli, StormRunsClientsAndPrintsItsTable) {
  test::ScratchDir dir;
  auto config = write_config(dir.path(), R"({"phases": [{"name": "storm-3", "workload": "storm",
      "clients": 3, "model": {"size": "8MiB"}, "cache": "cold"}]})");
  const auto out = (dir.path() / "r.json").string();
  auto r = test::run_command(binary() + " run " + config.string() + " --dir " +
                             dir.path().string() + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\nstorm phase  engine  clients"), std::string::npos) << r.output;
  r = test::run_command(binary() + " report --table storm " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("storm phase  engine  clients", 0), 0u) << r.output;
  for (const char* row : {"\n  client 0  ", "\n  client 1  ", "\n  client 2  "})
    EXPECT_NE(r.output.find(row), std::string::npos) << row << r.output;
  r = test::run_command(binary() + " report --table storm " + config.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no storm phases"), std::string::npos) << r.output;
  std::ifstream in(out);
  const auto report = nlohmann::json::parse(in);
  EXPECT_EQ(report["phases"][0]["clients"], 3) << report.dump();
}

}  // namespace aistor
