// Record and replay: phases recorded and replayed to the same ops (raw, a checkpoint with its
// syncs), the replay table; timing, remapping, folding of streams; bad configs and traces.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "report/replay_table.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/trace_import.hpp"
#include "workloads/runner/plan.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;
using formats::Trace;
using test::error_of;
using test::write_text;

nlohmann::json raw_phase(const fs::path& trace) {
  return {{"name", "rec"},           {"workload", "raw"},
          {"rw", "randrw"},          {"rwmixread", 70},
          {"block_size", "4KiB"},    {"size", "4MiB"},
          {"io_size", "2MiB"},       {"cache", "as-is"},
          {"trace", trace.string()}, {"engine", {{"name", "io_uring"}, {"queue_depth", 4}}}};
}

TEST(Replay, RawPhaseRecordedAndReplayedMakesTheSameOps) {
  test::ScratchDir d;
  const fs::path trace = d.path() / "rec.trace";
  const nlohmann::json rec = test::run_phase(d.path(), raw_phase(trace));
  ASSERT_EQ(rec["status"], "ok") << rec.dump();
  EXPECT_EQ(rec["trace"]["ops"], rec["ops"]);
  const Trace t = formats::read_trace(trace);
  EXPECT_EQ(t.files, (std::vector<std::string>{"aistor-raw-4M.0"}));  // relative to the phase dir
  EXPECT_EQ(t.ops.size(), 512u);
  const nlohmann::json rep =
      test::run_phase(d.path(), {{"name", "rep"},
                                 {"workload", "replay"},
                                 {"source", trace.string()},
                                 {"cache", "as-is"},
                                 {"engine", {{"name", "io_uring"}, {"queue_depth", 4}}}});
  ASSERT_EQ(rep["status"], "ok") << rep.dump();
  EXPECT_EQ(rep["ops"], rec["ops"]);
  EXPECT_EQ(rep["bytes"], rec["bytes"]);
  EXPECT_EQ(rep["read"]["ops"], rec["read"]["ops"]);
  EXPECT_EQ(rep["write"]["bytes"], rec["write"]["bytes"]);
  EXPECT_EQ(rep["io_pattern"], rec["io_pattern"]);
  EXPECT_EQ(rep["workload_metrics"]["files_created"], 0);
  EXPECT_EQ(rep["workload_metrics"]["ops_issued"], 512);
  EXPECT_EQ(rep["workload_metrics"]["trace"]["phase"], "rec");
  EXPECT_FALSE(rep["workload_metrics"].contains("issue_lag"));  // afap: nothing is due
  // The replay table sets the recording beside its replay, found by the trace's path.
  nlohmann::json report = nlohmann::json::object();
  report["phases"] = nlohmann::json::array({rec, rep});
  const Table table = replay_table(std::vector<nlohmann::json>{report});
  ASSERT_EQ(table.rows.size(), 3u);  // the header, the recording, its replay
  EXPECT_EQ(table.rows[1][0], "rec");
  EXPECT_EQ(table.rows[1][1], "recorded");
  EXPECT_EQ(table.rows[2][1], "replayed afap");
  EXPECT_EQ(table.rows[1][3], table.rows[2][3]);  // the same pattern
  EXPECT_EQ(table.rows[2][6], fmt::format("{:.3f}", rep["bytes_per_s"].get<double>() /
                                                        rec["bytes_per_s"].get<double>()));
  report["phases"] = nlohmann::json::array({rec});
  EXPECT_TRUE(replay_table(std::vector<nlohmann::json>{report}).empty());
}

TEST(Replay, CheckpointSyncsAreRecordedAndReplayedInPlace) {
  test::ScratchDir d;
  const fs::path trace = d.path() / "ck.trace";
  const nlohmann::json rec = test::run_phase(d.path(), {{"name", "ck"},
                                                        {"workload", "checkpoint"},
                                                        {"size", "4MiB"},
                                                        {"parallel", {{"dp", 2}, {"zero", 3}}},
                                                        {"trace", trace.string()},
                                                        {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(rec["status"], "ok") << rec.dump();
  const Trace t = formats::read_trace(trace);
  std::size_t syncs = 0;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    if (t.ops[i].op != kTraceSync) continue;
    ++syncs;
    // Each shard's sync comes after every write of that shard.
    for (std::size_t j = i + 1; j < t.ops.size(); ++j)
      EXPECT_FALSE(t.ops[j].file == t.ops[i].file && t.ops[j].op == kTraceWrite);
  }
  EXPECT_EQ(syncs, 2u);
  EXPECT_EQ(t.ops.size() - syncs, rec["ops"].get<std::size_t>());
  const nlohmann::json rep = test::run_phase(d.path(), {{"name", "rep"},
                                                        {"workload", "replay"},
                                                        {"source", trace.string()},
                                                        {"cache", "as-is"},
                                                        {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(rep["status"], "ok") << rep.dump();
  EXPECT_EQ(rep["bytes"], rec["bytes"]);
  EXPECT_EQ(rep["ops"], rec["ops"]);
  EXPECT_EQ(rep["workload_metrics"]["syncs"], 2);
  EXPECT_EQ(rep["workers"], 2);
  EXPECT_EQ(rep["workload_metrics"]["files_created"], 2);  // the shards' temporaries, renamed since
  // Made empty (only written), they hold exactly what the replay wrote, as the recording's did.
  std::uint64_t tmp_bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(d.path())) {
    if (e.path().string().ends_with(".tmp")) tmp_bytes += fs::file_size(e.path());
  }
  EXPECT_EQ(tmp_bytes, rec["bytes"].get<std::uint64_t>());
}

TEST(Replay, RemappedFilesAreMadeAndOthersFilesNeverWritten) {
  test::ScratchDir d;
  write_text(d.path() / "t.log",
             "fio version 2 iolog\n/dev/sdq add\n/dev/sdq read 8192 4096\n"
             "/dev/sdq write 0 512\n");
  auto phase = [&](bool read_only) {
    return nlohmann::json{{"workload", "replay"},
                          {"source", (d.path() / "t.log").string()},
                          {"cache", "as-is"},
                          {"read_only", read_only},
                          {"dir", (d.path() / "r").string()}};
  };
  nlohmann::json p = test::run_phase(d.path(), phase(true));
  ASSERT_EQ(p["status"], "ok") << p.dump();
  EXPECT_EQ(fs::file_size(d.path() / "r" / "dev_sdq"), 12288u);  // sized to the reads' reach
  EXPECT_EQ(p["workload_metrics"]["writes_dropped"], 1);
  EXPECT_EQ(p["workload_metrics"]["files_created"], 1);
  EXPECT_EQ(p["ops"], 1);
  p = test::run_phase(d.path(), phase(false));  // the file is aistor's now: written
  ASSERT_EQ(p["status"], "ok") << p.dump();
  EXPECT_EQ(p["write"]["ops"], 1);
  // A file aistor did not make is read but never written.
  fs::create_directories(d.path() / "s");
  test::write_pattern_file(d.path() / "s" / "dev_sdq", 12288);
  auto theirs = phase(false);
  theirs["dir"] = (d.path() / "s").string();
  p = test::run_phase(d.path(), theirs);
  EXPECT_EQ(p["status"], "failed");
  EXPECT_NE(
      p["error"].get<std::string>().find("the trace writes to it and aistor did not create it"),
      std::string::npos)
      << p["error"];
  const std::string before = test::read_file(d.path() / "s" / "dev_sdq");
  theirs["read_only"] = true;
  p = test::run_phase(d.path(), theirs);
  EXPECT_EQ(p["status"], "ok") << p.dump();
  EXPECT_EQ(test::read_file(d.path() / "s" / "dev_sdq"), before);
}

TEST(Replay, ScaledTimingIssuesEachOpWhenDue) {
  test::ScratchDir d;
  // Three ops 40 ms apart, replayed at half their spacing: the last is due at 40 ms.
  write_text(d.path() / "t.log",
             "fio version 3 iolog\n0 a add\n0 a read 0 4096\n40000 a read 4096 4096\n"
             "80000 a read 8192 4096\n");
  const nlohmann::json p = test::run_phase(d.path(), {{"workload", "replay"},
                                                      {"source", (d.path() / "t.log").string()},
                                                      {"timing", "scaled"},
                                                      {"time_scale", 0.5},
                                                      {"cache", "as-is"}});
  ASSERT_EQ(p["status"], "ok") << p.dump();
  const auto& m = p["workload_metrics"];
  EXPECT_GE(m["duration_s"].get<double>(), 0.040);
  EXPECT_LT(m["duration_s"].get<double>(), 0.080);  // not the recorded 80 ms
  EXPECT_EQ(m["ops_issued"], 3);
  EXPECT_TRUE(m.contains("issue_lag"));
  EXPECT_GE(m["issue_lag"]["max_us"].get<double>(), 0.0);
  // The timeseries saw ops in at least two distinct 10 ms buckets: they were spread in time.
}

TEST(Replay, StreamsKeptOrFoldedOntoThreads) {
  test::ScratchDir d;
  std::string text;
  for (int pid = 0; pid < 4; ++pid) {
    for (int i = 0; i < 3; ++i)
      text += fmt::format("  8,0 0 {} 0.00{} {} Q R {} + 8 [p]\n", i, pid, 100 + pid, 8 * i);
  }
  write_text(d.path() / "b.txt", text);
  nlohmann::json phase{
      {"workload", "replay"}, {"source", (d.path() / "b.txt").string()}, {"cache", "as-is"}};
  nlohmann::json p = test::run_phase(d.path(), phase);
  ASSERT_EQ(p["status"], "ok") << p.dump();
  EXPECT_EQ(p["workers"], 4);
  EXPECT_EQ(p["ops"], 12);
  phase["threads"] = 2;
  p = test::run_phase(d.path(), phase);
  EXPECT_EQ(p["workers"], 2);
  EXPECT_EQ(p["ops"], 12);
}

TEST(Replay, BadConfigsAndTraces) {
  EXPECT_EQ(test::plan_error({{"workload", "replay"}}),
            "config: phases[0].source: is required (a string)");
  EXPECT_EQ(test::plan_error({{"workload", "replay"}, {"source", "x"}, {"time_scale", 2}}),
            "config: phases[0].time_scale: is for timing \"scaled\" only");
  EXPECT_EQ(test::plan_error({{"workload", "replay"}, {"source", "x"}, {"timing", "scaled"}}),
            "config: phases[0].time_scale: timing \"scaled\" needs it: each op is issued at its "
            "recorded time x it");
  EXPECT_EQ(test::plan_error({{"workload", "replay"}, {"source", "x"}, {"format", "pcap"}})
                .find("config: phases[0].format:"),
            0u);
  EXPECT_EQ(
      test::plan_error(
          {{"workload", "raw"}, {"rw", "read"}, {"size", "1M"}, {"trace", "t"}, {"repeat", 2}}),
      "config: phases[0].trace: one trace holds one run of a phase: leave repeat and search "
      "out, or trace a phase of its own");
  const std::string two = error_of([] {
    (void)make_plan({{"dir", "/var/tmp/x"},
                     {"phases",
                      {{{"workload", "raw"}, {"rw", "read"}, {"size", "1M"}, {"trace", "t"}},
                       {{"workload", "raw"}, {"rw", "read"}, {"size", "1M"}, {"trace", "./t"}}}}},
                    std::nullopt);
  });
  EXPECT_NE(two.find("phases[1].trace: \"./t\" is also the trace of phases[0]"), std::string::npos)
      << two;
  // A trace path holding something else is left alone; the phase fails before any I/O.
  test::ScratchDir d;
  write_text(d.path() / "notes.txt", "mine");
  nlohmann::json rec = raw_phase(d.path() / "notes.txt");
  const nlohmann::json p = test::run_phase(d.path(), rec);
  EXPECT_EQ(p["status"], "failed");
  EXPECT_NE(p["error"].get<std::string>().find("is there and is not an aistor trace"),
            std::string::npos);
  EXPECT_EQ(test::read_file(d.path() / "notes.txt"), "mine");
  // A directory or a FIFO named as the trace: one line, no hang.
  ASSERT_EQ(::mkfifo((d.path() / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { (void)formats::load_trace(d.path() / "fifo"); }),
            (d.path() / "fifo").string() + ": not a regular file");
  EXPECT_EQ(error_of([&] { (void)formats::load_trace(d.path()); }),
            d.path().string() + ": not a regular file");
  // A damaged trace fails the replay phase with the file's own one line.
  write_text(d.path() / "bad.trace", "AISTORTR\x01");
  const nlohmann::json r = test::run_phase(
      d.path(), {{"workload", "replay"}, {"source", (d.path() / "bad.trace").string()}});
  EXPECT_EQ(r["status"], "failed");
  EXPECT_NE(r["error"].get<std::string>().find("truncated: 9 bytes"), std::string::npos)
      << r["error"];
}

}  // namespace
}  // namespace aistor
