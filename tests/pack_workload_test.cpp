// The pack workload on real files: Arrow, raw and TFRecord sources packed into TFRecord and
// FFRecord through real engines, the output checked here independently of the workload's own
// verification; read-only passes read exactly the source's units; bad sources, foreign target
// directories and failed writes fail the phase with nothing left under a final name.
#include <sys/resource.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/mapping.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/arrow_dataset.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/runner/plan.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

nlohmann::json text_dataset(std::uint64_t samples, std::uint32_t files) {
  return {{"format", "arrow"},
          {"samples", samples},
          {"files", files},
          {"sizes", {{"kind", "uniform"}, {"min", 1}, {"max", 9000}}}};
}

formats::DatasetSpec spec_of(const nlohmann::json& phase) {
  ConfigNode node(phase["source"]["dataset"], "dataset");
  return formats::parse_dataset_spec(node);
}

// Every record of the TFRecord files, in order.
std::vector<std::vector<std::byte>> tfrecord_samples(const std::vector<fs::path>& files) {
  std::vector<std::vector<std::byte>> out;
  for (const auto& f : files) {
    (void)formats::scan_tfrecord(f, true, [&](std::uint64_t, std::uint64_t, auto payload) {
      out.emplace_back(payload.begin(), payload.end());
    });
  }
  return out;
}

std::vector<fs::path> parts(const fs::path& dir, const char* ext, int n) {
  std::vector<fs::path> out;
  for (int i = 0; i < n; ++i)
    out.push_back(dir / fmt::format("part-{:05}-of-{:05}.{}", i, n, ext));
  return out;
}

}  // namespace

TEST(Pack, ArrowTextIntoTfRecordHoldsEverySampleInOrder) {
  test::ScratchDir dir;
  const nlohmann::json phase{{"workload", "pack"},
                             {"cache", "as-is"},
                             {"source", {{"dataset", text_dataset(2500, 2)}}},
                             {"target", {{"format", "tfrecord"}, {"files", 3}, {"dir", "out"}}},
                             {"threads", 2}};
  const auto r = test::run_phase(dir.path(), phase);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  const auto& w = r["workload_metrics"];
  EXPECT_EQ(w["source"]["samples"], 2500);
  EXPECT_EQ(w["verified"]["samples"], 2500);
  EXPECT_EQ(w["target"]["files"], 3);
  const auto spec = spec_of(phase);
  const auto got = tfrecord_samples(parts(dir.path() / "out", "tfrecord", 3));
  ASSERT_EQ(got.size(), 2500U);
  std::uint64_t payload = 0;
  for (std::uint64_t i = 0; i < got.size(); ++i) {
    std::vector<std::byte> want(spec.sizes.size_of(i, spec.seed));
    formats::fill_arrow_sample(spec, want, i);
    ASSERT_EQ(got[i], want) << "sample " << i;
    payload += want.size();
  }
  EXPECT_EQ(w["source"]["payload_bytes"], payload);
  // Written: exactly the framed records; the .idx sidecars index them.
  EXPECT_EQ(r["write"]["bytes"].get<std::uint64_t>(), payload + 16 * 2500);
  std::uint64_t indexed = 0;
  for (const auto& f : parts(dir.path() / "out", "tfrecord", 3))
    indexed += formats::read_tfrecord_index(f, 0).size();
  EXPECT_EQ(indexed, 2500U);
  EXPECT_GT(w["throughput_bytes_per_s"].get<double>(), 0.0);
  EXPECT_EQ(r["write"]["sequential_fraction"], 1.0);
}

TEST(Pack, RawTreeIntoFfRecordThroughDirectEnginesIsExact) {
  test::ScratchDir dir;
  const nlohmann::json phase{
      {"workload", "pack"},
      {"cache", "as-is"},
      {"source",
       {{"dataset",
         {{"format", "raw"},
          {"samples", 300},
          {"fan_out", 4},
          {"sizes", {{"kind", "uniform"}, {"min", 1}, {"max", 70000}}}}}}},
      {"target", {{"format", "ffrecord"}, {"files", 2}}},
      {"engine", {{"name", "io_uring"}, {"queue_depth", 4}, {"direct", true}}},
      {"write_engine", {{"name", "odirect"}}},
      {"write_block", "64KiB"}};
  const auto r = test::run_phase(dir.path(), phase);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  const auto spec = spec_of(phase);
  std::uint64_t id = 0, payload = 0;
  for (const auto& f : parts(dir.path() / "packed-ffrecord", "ffr", 2)) {
    const auto file = formats::FfRecordFile::open(f, 0);
    file.verify();  // every CRC
    std::uint64_t bytes = formats::ffrecord_header_bytes(file.size());
    for (std::uint64_t i = 0; i < file.size(); ++i, ++id) {
      std::vector<std::byte> got(file.ref(i).length);
      file.read(i, got);
      ASSERT_EQ(got.size(), spec.sizes.size_of(id, spec.seed)) << id;
      ASSERT_EQ(formats::check_sample(got, id, spec.seed), std::nullopt) << id;
      bytes += got.size();
      payload += got.size();
    }
    EXPECT_EQ(fs::file_size(f), bytes);  // padded O_DIRECT tail truncated away
    EXPECT_FALSE(fs::exists(f.string() + ".tmp"));
  }
  EXPECT_EQ(id, 300U);
  EXPECT_EQ(r["workload_metrics"]["write_engine"]["name"], "odirect");
  EXPECT_EQ(r["workload_metrics"]["source"]["payload_bytes"], payload);
}

TEST(Pack, APackedDirectoryIsASourceAndReadOnlyReadsExactlyItsUnits) {
  test::ScratchDir dir;
  auto first = nlohmann::json{{"workload", "pack"},
                              {"cache", "as-is"},
                              {"source", {{"dataset", text_dataset(1200, 1)}}},
                              {"target", {{"format", "tfrecord"}, {"files", 2}, {"dir", "tf"}}}};
  ASSERT_EQ(test::run_phase(dir.path(), first)["status"], "ok");
  const auto tf = dir.path() / "tf";
  const nlohmann::json again{{"workload", "pack"},
                             {"cache", "as-is"},
                             {"source", {{"path", tf.string()}}},
                             {"target", {{"format", "ffrecord"}, {"dir", "ffr"}}},
                             {"unit_bytes", "64KiB"},
                             {"threads", 2}};
  const auto r = test::run_phase(dir.path(), again);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["workload_metrics"]["source"]["format"], "tfrecord");
  EXPECT_EQ(r["workload_metrics"]["verified"]["samples"], 1200);
  // The TFRecord files are read whole, once: every byte, sequentially.
  std::uint64_t tf_bytes = 0;
  for (const auto& f : parts(tf, "tfrecord", 2))
    tf_bytes += fs::file_size(f);
  EXPECT_EQ(r["read"]["bytes"].get<std::uint64_t>(), tf_bytes);
  EXPECT_EQ(r["read"]["sequential_fraction"], 1.0);

  // Read-only over the Arrow source: its record batches exactly (not the schema or the end
  // marker), nothing written, no target directory made.
  auto ro = first;
  ro.erase("target");
  ro["read_only"] = true;
  const auto q = test::run_phase(dir.path(), ro);
  ASSERT_EQ(q["status"], "ok") << q.dump();
  const auto src = fs::path(q["workload_metrics"]["source"]["path"].get<std::string>());
  const Mapping map = map_file(src / "data-00000-of-00001.arrow");
  const ArrowIpcFile a(std::span<const std::byte>(map.data(), map.size()), "a");
  std::uint64_t batch_bytes = 0;
  for (const auto& b : a.batches())
    batch_bytes += b.message_bytes;
  EXPECT_EQ(q["read"]["bytes"].get<std::uint64_t>(), batch_bytes);
  EXPECT_EQ(q["write"]["bytes"], 0);
  EXPECT_FALSE(fs::exists(dir.path() / "packed-none"));
}

TEST(Pack, ACorruptArrowSourceFailsWithTheFileAndOffset) {
  test::ScratchDir dir;
  auto phase = nlohmann::json{{"workload", "pack"},
                              {"cache", "as-is"},
                              {"source", {{"dataset", text_dataset(1500, 1)}}},
                              {"read_only", true}};
  const auto r = test::run_phase(dir.path(), phase);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  const auto src = fs::path(r["workload_metrics"]["source"]["path"].get<std::string>());
  const auto file = src / "data-00000-of-00001.arrow";
  fs::copy_file(file, dir.path() / "cut.arrow");
  fs::resize_file(dir.path() / "cut.arrow", fs::file_size(file) / 2);
  phase["source"] = {{"path", (dir.path() / "cut.arrow").string()}};
  const auto bad = test::run_phase(dir.path(), phase);
  EXPECT_EQ(bad["status"], "failed");
  const std::string e = bad.value("error", "");
  EXPECT_NE(e.find("cut.arrow: byte "), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  EXPECT_EQ(fs::file_size(dir.path() / "cut.arrow"), fs::file_size(file) / 2);  // left as it was
}

TEST(Pack, ATargetDirectoryOfSomeoneElsesFilesIsRefusedAndKept) {
  test::ScratchDir dir;
  fs::create_directories(dir.path() / "mine");
  std::ofstream(dir.path() / "mine" / "notes.txt") << "keep me";
  const nlohmann::json phase{{"workload", "pack"},
                             {"cache", "as-is"},
                             {"source", {{"dataset", text_dataset(100, 1)}}},
                             {"target", {{"format", "tfrecord"}, {"dir", "mine"}}}};
  const auto r = test::run_phase(dir.path(), phase);
  EXPECT_EQ(r["status"], "failed");
  EXPECT_NE(r.value("error", "").find("holds files aistor did not pack"), std::string::npos)
      << r.dump();
  EXPECT_TRUE(fs::exists(dir.path() / "mine" / "notes.txt"));
}

std::string contents(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Batches written on the sink's own thread while reading goes on make the very same files as
// batches written in line, through a queue-deep O_DIRECT writer and a synchronous buffered one.
TEST(Pack, WriteBehindWritesTheSameBytesAsWritingInLine) {
  for (const char* format : {"tfrecord", "ffrecord"}) {
    for (const nlohmann::json& writer :
         {nlohmann::json{{"name", "io_uring"}, {"queue_depth", 4}, {"direct", true}},
          nlohmann::json{{"name", "pread"}}}) {
      test::ScratchDir dir;
      std::vector<std::vector<std::string>> made;
      for (int behind : {0, 1, 3}) {
        const std::string out = fmt::format("out{}", behind);
        const nlohmann::json phase{{"workload", "pack"},
                                   {"cache", "as-is"},
                                   {"source", {{"dataset", text_dataset(2000, 2)}}},
                                   {"target", {{"format", format}, {"files", 2}, {"dir", out}}},
                                   {"threads", 2},
                                   {"write_engine", writer},
                                   {"write_block", "64KiB"},
                                   {"write_behind", behind}};
        const auto r = test::run_phase(dir.path(), phase);
        ASSERT_EQ(r["status"], "ok") << r.dump();
        EXPECT_EQ(r["workload_metrics"]["write_behind"], behind);
        EXPECT_EQ(r["workload_metrics"]["verified"]["samples"], 2000);
        std::vector<std::string> files;
        for (const auto& f :
             parts(dir.path() / out, std::string(format) == "ffrecord" ? "ffr" : "tfrecord", 2))
          files.push_back(contents(f));
        made.push_back(files);
      }
      ASSERT_GT(made[0][0].size(), 4u * 65536) << "a file of several batches";
      EXPECT_EQ(made[1], made[0]) << format << " " << writer.dump();
      EXPECT_EQ(made[2], made[0]) << format << " " << writer.dump();
    }
  }
}

TEST(Pack, AFailedWriteLeavesNoFileUnderAFinalName) {
  for (int behind : {0, 2}) {
    SCOPED_TRACE(fmt::format("write_behind {}", behind));
    test::ScratchDir dir;
    auto phase = nlohmann::json{{"workload", "pack"},
                                {"cache", "as-is"},
                                {"source", {{"dataset", text_dataset(3000, 1)}}},
                                {"read_only", true}};
    ASSERT_EQ(test::run_phase(dir.path(), phase)["status"], "ok");  // the source, made first
    phase.erase("read_only");
    phase["target"] = {{"format", "ffrecord"}, {"dir", "out"}};
    phase["write_block"] = "64KiB";
    phase["write_behind"] = behind;
    // Files may not grow past 256 KiB: the pack's writes fail with EFBIG.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction old {};
    ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old), 0);
    rlimit before{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
    rlimit small = before;
    small.rlim_cur = 256 * 1024;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const auto r = test::run_phase(dir.path(), phase);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &before), 0);
    ASSERT_EQ(::sigaction(SIGXFSZ, &old, nullptr), 0);
    EXPECT_EQ(r["status"], "failed") << r.dump();
    EXPECT_GT(r["errors"]["count"].get<int>(), 0) << r.dump();
    EXPECT_FALSE(fs::exists(dir.path() / "out" / "part-00000-of-00001.ffr"));
    EXPECT_FALSE(fs::exists(dir.path() / "out" / "part-00000-of-00001.ffr.tmp"));
    EXPECT_TRUE(fs::exists(dir.path() / "out" / "aistor-pack.json"));  // ours, marked incomplete
  }
}

TEST(Pack, ConfigMistakesNameTheirKey) {
  nlohmann::json p{{"workload", "pack"}, {"source", {{"path", "/x"}}}};
  EXPECT_NE(test::plan_error(p).find("phases[0].target: say what to pack into"), std::string::npos)
      << test::plan_error(p);
  p["target"] = {{"format", "ffrecord"}};
  p["write_engine"] = {{"name", "mmap"}};
  EXPECT_NE(test::plan_error(p).find("phases[0].write_engine: mmap cannot grow"), std::string::npos)
      << test::plan_error(p);
  p.erase("write_engine");
  p["read_only"] = true;
  EXPECT_NE(test::plan_error(p).find("phases[0].target: a read-only pass writes nothing"),
            std::string::npos)
      << test::plan_error(p);
  nlohmann::json q{{"workload", "pack"},
                   {"source", {{"path", "/x"}, {"dataset", {{"samples", 3}}}}},
                   {"read_only", true}};
  EXPECT_NE(test::plan_error(q).find("give exactly one of"), std::string::npos)
      << test::plan_error(q);
  nlohmann::json u{
      {"workload", "pack"}, {"source", {{"path", "/x"}, {"colum", "t"}}}, {"read_only", true}};
  EXPECT_NE(test::plan_error(u).find("source.colum: unknown key"), std::string::npos)
      << test::plan_error(u);
}

}  // namespace aistor
