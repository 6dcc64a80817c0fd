// aistor under mpirun (OpenMPI, as CI installs it): a storm with one client per rank, raw,
// checkpoint and samples phases each rank doing its share, rank 0 writing the one report with
// per-rank rows and exact aggregates; phases that cannot run across ranks refused; a killed rank
// and a stopped one each end the job without a hang. Skipped where aistor was built without MPI
// or mpirun is missing.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"
#include "workloads/runner/ranks.hpp"

namespace aistor {
namespace {

// LeakSanitizer would report MPI's own allocations at exit in the ASan build.
std::string mpirun(int ranks, const std::string& wrapper = "") {
  return fmt::format(
      "ASAN_OPTIONS=detect_leaks=0 {} mpirun --allow-run-as-root --oversubscribe -np {} {}",
      wrapper, ranks, AISTOR_BINARY);
}

// Why these tests cannot run here, or "" when they can. (GTEST_SKIP in a helper would return
// from the helper only, and the test would go on.)
std::string why_no_mpi() {
  if (!built_with_mpi()) return "aistor was built without MPI (libopenmpi-dev)";
  if (test::run_command("command -v mpirun").exit_code != 0) return "no mpirun here";
  return {};
}

// A /proc file's text, or "" when the process is gone (std::ifstream would throw from underflow
// on ESRCH).
std::string read_proc(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// The pids of this job's ranks (aistor processes whose command line names `config`) that have
// read more than `past` bytes (rchar).
std::vector<int> ranks_reading(const std::string& config, std::uint64_t past) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string line = read_proc(e.path() / "cmdline");
    if (line.rfind(AISTOR_BINARY, 0) != 0 || line.find(config) == std::string::npos) continue;
    std::istringstream io(read_proc(e.path() / "io"));
    std::string key;
    std::uint64_t value = 0;
    while (io >> key >> value) {
      if (key == "rchar:" && value > past) pids.push_back(std::stoi(pid));
    }
  }
  return pids;
}

std::filesystem::path write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// Runs `config` on `ranks` ranks in `dir`; the report, or a failed assertion with the output.
// `exit_code`: what the run must exit with (1: a phase failed, the report still written).
nlohmann::json run_on_ranks(int ranks, const test::ScratchDir& dir, const std::string& config,
                            int exit_code = 0) {
  const auto path = write_file(dir.path() / "config.json", config);
  const auto out = dir.path() / "r.json";
  const auto r = test::run_command(mpirun(ranks, "timeout 300") + " run " + path.string() +
                                   " --dir " + dir.path().string() + " --output " + out.string());
  EXPECT_EQ(r.exit_code, exit_code) << r.output;
  EXPECT_EQ(r.output.find("status: "), r.output.rfind("status: ")) << r.output;  // one summary
  std::ifstream in(out);
  if (!in) {
    ADD_FAILURE() << "no report: " << r.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(in);
}

// The phase's rows, one per rank in rank order, each ok; their bytes summed.
std::uint64_t check_rank_rows(const nlohmann::json& phase, int ranks) {
  EXPECT_EQ(phase["ranks"], ranks) << phase.dump();
  const auto& across = phase["across_ranks"];
  EXPECT_EQ(across["ranks"], ranks);
  EXPECT_EQ(across["completed"], ranks);
  EXPECT_TRUE(across["slowest"]["rank"].is_number()) << across.dump();
  EXPECT_GE(across["last_done_s"].get<double>(), across["first_done_s"].get<double>());
  std::uint64_t bytes = 0;
  std::set<int> pids;
  for (int r = 0; r < ranks; ++r) {
    const auto& row = across["rows"][static_cast<std::size_t>(r)];
    EXPECT_EQ(row["rank"], r);
    EXPECT_EQ(row["status"], "ok") << row.dump();
    pids.insert(row["pid"].get<int>());
    bytes += row["bytes"].get<std::uint64_t>();
  }
  EXPECT_EQ(pids.size(), static_cast<std::size_t>(ranks));
  EXPECT_EQ(phase["bytes"].get<std::uint64_t>(), bytes);  // the merged recorder: every rank's
  return bytes;
}

}  // namespace

TEST(Mpi, AStormRunsOneClientPerRankAndRankZeroReports) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto config = write_file(dir.path() / "storm.json", R"({"phases": [{"name": "ranks",
      "workload": "storm", "model": {"size": "16MiB"}, "cache": "cold", "chunk_size": "1MiB"}]})");
  const auto out = dir.path() / "r.json";
  const auto r = test::run_command(mpirun(4) + " run " + config.string() + " --dir " +
                                   dir.path().string() + " --output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // One summary (rank 0's), one report.
  EXPECT_EQ(r.output.find("status: ok"), r.output.rfind("status: ok")) << r.output;
  std::ifstream in(out);
  const auto report = nlohmann::json::parse(in);
  ASSERT_EQ(report["phases"].size(), 1u);
  const auto& p = report["phases"][0];
  ASSERT_EQ(p["status"], "ok") << p.dump();
  EXPECT_EQ(p["ranks"], 4);
  EXPECT_EQ(p["clients"], 4);
  const auto& w = p["workload_metrics"];
  const std::uint64_t file = w["model"]["file_bytes"];
  std::set<int> ranks, pids;
  std::uint64_t bytes = 0, storage = 0;
  for (const auto& row : w["client_rows"]) {
    EXPECT_EQ(row["status"], "ok") << row.dump();
    EXPECT_EQ(row["bytes"].get<std::uint64_t>(), file);
    ranks.insert(row["rank"].get<int>());
    pids.insert(row["pid"].get<int>());
    bytes += row["bytes"].get<std::uint64_t>();
    storage += row["storage_read_bytes"].get<std::uint64_t>();
    // One host, one clock: a measured offset is only the ping-pong's error, which is at most half
    // its round trip (rank 0 itself: 0 and 0).
    EXPECT_LE(std::abs(row["clock_offset_ns"].get<std::int64_t>()),
              row["clock_rtt_ns"].get<std::int64_t>() / 2 + 1)
        << row.dump();
  }
  EXPECT_EQ(ranks, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(pids.size(), 4u);
  EXPECT_EQ(p["bytes"].get<std::uint64_t>(), bytes);
  EXPECT_EQ(p["storage_read_bytes"].get<std::uint64_t>(), storage);
  EXPECT_EQ(w["completed"], 4);
  EXPECT_TRUE(w["first_done_bytes_per_s"].is_null());  // no shared memory across ranks
  EXPECT_GT(w["last_done_bytes_per_s"].get<double>(), 0.0);
  ASSERT_EQ(w["hosts"].size(), 1u);
  EXPECT_EQ(w["hosts"][0]["clients"], 4);
  EXPECT_TRUE(w["slowest"]["rank"].is_number());
}

TEST(Mpi, RawRanksWriteFilesOfTheirOwnOrOneRegionEachOfASharedFile) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto report = run_on_ranks(4, dir, R"({"phases": [
      {"name": "own", "workload": "raw", "rw": "write", "size": "1MiB", "threads": 2,
       "block_size": "64KiB", "verify": true},
      {"name": "shared", "workload": "raw", "rw": "write", "size": "8MiB", "threads": 2,
       "block_size": "64KiB", "file_per_thread": false, "rank_files": "shared",
       "file_name": "shared.dat", "verify": true},
      {"name": "shared-read", "workload": "raw", "rw": "randread", "size": "8MiB", "threads": 2,
       "block_size": "64KiB", "file_per_thread": false, "rank_files": "shared",
       "file_name": "shared.dat"}]})");
  ASSERT_EQ(report["phases"].size(), 3u) << report.dump();
  for (const auto& p : report["phases"])
    EXPECT_EQ(p["status"], "ok") << p.dump();
  // Own files: 4 ranks x 2 threads x 1 MiB, each rank its files named with its rank.
  const auto& own = report["phases"][0];
  EXPECT_EQ(check_rank_rows(own, 4), 8u << 20);
  for (const auto& row : own["across_ranks"]["rows"]) {
    EXPECT_EQ(row["bytes"], 2u << 20);
    EXPECT_EQ(row["workload_metrics"]["verify"]["blocks_checked"], 32);  // its own, read back
  }
  EXPECT_EQ(own["workload_metrics"]["verify"]["blocks_checked"], 128);
  EXPECT_EQ(own["workload_metrics"]["verify"]["bad_blocks"], 0);
  EXPECT_EQ(report["phases"][1]["workload_metrics"]["verify"]["blocks_checked"], 128);
  for (int r = 0; r < 4; ++r) {
    for (int t = 0; t < 2; ++t) {
      EXPECT_TRUE(
          std::filesystem::exists(dir.path() / fmt::format("aistor-raw-1M.r{:05}.{}", r, t)));
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "aistor-raw-1M.0"));
  // Shared: the 8 workers' regions tile the one file exactly (every block verified, none stale).
  for (const char* name : {"shared", "shared-read"}) {
    const auto& p = report["phases"][name == std::string("shared") ? 1 : 2];
    EXPECT_EQ(check_rank_rows(p, 4), 8u << 20) << name;
    for (const auto& row : p["across_ranks"]["rows"])
      EXPECT_EQ(row["bytes"], 2u << 20) << name;
  }
  EXPECT_EQ(report["phases"][1]["write"]["bytes"], 8u << 20);
  EXPECT_EQ(report["phases"][2]["read"]["ops"], 128u);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "shared.dat.0"), 8u << 20);
}

TEST(Mpi, ACheckpointIsOneShardPerRankAndRestoresShiftedVerified) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto report = run_on_ranks(4, dir, R"({"phases": [
      {"name": "save", "workload": "checkpoint", "size": "8MiB",
       "parallel": {"tp": 2, "dp": 2, "zero": 3}, "block_size": "256KiB"},
      {"name": "restore", "workload": "checkpoint", "op": "restore", "size": "8MiB",
       "parallel": {"tp": 2, "dp": 2, "zero": 3}, "block_size": "256KiB", "restore_shift": 1,
       "verify": true, "cache": "cold"}]})");
  ASSERT_EQ(report["phases"].size(), 2u) << report.dump();
  const auto& save = report["phases"][0];
  const auto& restore = report["phases"][1];
  ASSERT_EQ(save["status"], "ok") << save.dump();
  ASSERT_EQ(restore["status"], "ok") << restore.dump();
  const std::uint64_t total = save["workload_metrics"]["bytes"];
  EXPECT_EQ(check_rank_rows(save, 4), total);
  EXPECT_EQ(check_rank_rows(restore, 4), total);
  for (const auto* p : {&save, &restore}) {
    const auto& w = (*p)["workload_metrics"];
    EXPECT_EQ(w["shard_bytes"], total);
    ASSERT_EQ(w["ranks"].size(), 4u) << w.dump();
    for (std::size_t r = 0; r < 4; ++r) {
      EXPECT_EQ(w["ranks"][r]["mpi_rank"], r);
      EXPECT_EQ(w["ranks"][r]["rank"], r);  // the shard of its layout rank
    }
  }
  EXPECT_GT(save["workload_metrics"]["time_to_durable_s"].get<double>(), 0.0);
  EXPECT_GT(restore["workload_metrics"]["restore_bytes_per_s"].get<double>(), 0.0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "checkpoint" / "aistor-checkpoint.json"));
  for (int r = 0; r < 4; ++r)
    EXPECT_TRUE(
        std::filesystem::exists(dir.path() / "checkpoint" / fmt::format("rank-{:05}.ckpt", r)));
}

// Each rank serves its own users with its own cache; rank 0 sets the ranks' rows side by side
// and takes the largest of their p95s (MLPerf's rule for the KV-cache benchmark).
TEST(Mpi, KvCacheRanksKeepCachesOfTheirOwnAndReportTheWorstP95) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto report = run_on_ranks(2, dir, R"({"phases": [{"workload": "kv-cache",
      "model": "tiny", "block_tokens": 16, "users": 2, "requests": 6, "context": 200,
      "system_prompt_tokens": 32, "generate_tokens": 16}]})");
  ASSERT_EQ(report["phases"].size(), 1u) << report.dump();
  const auto& phase = report["phases"][0];
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  (void)check_rank_rows(phase, 2);
  const auto& w = phase["workload_metrics"];
  ASSERT_EQ(w["ranks"].size(), 2u) << w.dump();
  EXPECT_EQ(w["requests"], 12);  // 6 on each rank
  double worst = 0;
  for (const auto& row : w["ranks"]) {
    EXPECT_EQ(row["requests"], 6);
    worst = std::max(worst, row["request_storage_p95_ns"].get<double>());
  }
  EXPECT_GT(worst, 0.0);
  EXPECT_EQ(w["max_rank_p95_ns"]["request_storage"].get<double>(), worst);
  for (int r = 0; r < 2; ++r)  // each rank's cache directory, its entries removed
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "kv-cache" / fmt::format("rank-{}", r) /
                                        ".aistor-kv-cache"));
}

// With restore_shift 1, rank 0 reads shard file 1: a truncated file 1 is found by rank 0 before
// the timed reads (its cache policy and size check are for the files it reads, not its own).
TEST(Mpi, AShiftedRestoreChecksTheShardsItReads) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const std::string save = R"({"phases": [
      {"name": "save", "workload": "checkpoint", "size": "8MiB",
       "parallel": {"tp": 2, "dp": 2, "zero": 3}, "block_size": "256KiB"}]})";
  ASSERT_EQ(run_on_ranks(4, dir, save)["phases"][0]["status"], "ok");
  const auto shard = dir.path() / "checkpoint" / "rank-00001.ckpt";
  std::filesystem::resize_file(shard, std::filesystem::file_size(shard) - 1000);
  const auto report = run_on_ranks(4, dir, R"({"phases": [
      {"name": "restore", "workload": "checkpoint", "op": "restore", "size": "8MiB",
       "parallel": {"tp": 2, "dp": 2, "zero": 3}, "block_size": "256KiB", "restore_shift": 1,
       "cache": "cold"}]})",
                                   1);
  ASSERT_EQ(report["phases"].size(), 1u) << report.dump();
  const auto& restore = report["phases"][0];
  EXPECT_EQ(restore["status"], "failed");
  const std::string error = restore["error"];
  EXPECT_EQ(error.rfind("rank 0: ", 0), 0u) << error;
  EXPECT_NE(error.find("rank-00001.ckpt: offset"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(Mpi, SamplesRanksShareEachEpochAndTogetherReadEverySampleOnce) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  // 1001 samples over 4 ranks: shares of 251, 250, 250, 250.
  const auto report = run_on_ranks(4, dir, R"({"phases": [{"name": "train",
      "workload": "samples", "epochs": 2, "batch_size": 16, "verify": true,
      "dataset": {"format": "tfrecord", "samples": 1001, "files": 3,
                  "sizes": {"kind": "fixed", "mean": "4KiB"}}}]})");
  ASSERT_EQ(report["phases"].size(), 1u) << report.dump();
  const auto& p = report["phases"][0];
  ASSERT_EQ(p["status"], "ok") << p.dump();
  check_rank_rows(p, 4);
  const auto& w = p["workload_metrics"];
  EXPECT_EQ(w["samples"], 2002);
  EXPECT_EQ(w["verified_samples"], 2002);
  EXPECT_EQ(w["delivered_bytes"], 2002u * 4096);
  ASSERT_EQ(w["epochs"].size(), 2u);
  for (const auto& e : w["epochs"]) {
    EXPECT_EQ(e["samples"], 1001);
    EXPECT_EQ(e["ranks"], 4);
  }
  const std::vector<int> shares{251, 250, 250, 250};
  for (std::size_t r = 0; r < 4; ++r) {
    const auto& m = p["across_ranks"]["rows"][r]["workload_metrics"];
    EXPECT_EQ(m["dataset"]["rank_samples"], shares[r]);
    EXPECT_EQ(m["samples"], 2 * shares[r]);
  }
}

TEST(Mpi, APackSpreadsItsTargetsOverEveryRanksWorkersAndEachRankChecksItsOwn) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  // 64 raw samples of 1 KiB into 6 TFRecord files over 3 ranks x 2 threads: one file each.
  const auto report = run_on_ranks(3, dir, R"({"phases": [{"name": "pack", "workload": "pack",
      "threads": 2, "source": {"dataset": {"format": "raw", "samples": 64,
      "sizes": {"mean": "1KiB"}}}, "target": {"format": "tfrecord", "files": 6}}]})");
  ASSERT_EQ(report["phases"].size(), 1u) << report.dump();
  const auto& p = report["phases"][0];
  ASSERT_EQ(p["status"], "ok") << p.dump();
  check_rank_rows(p, 3);
  const auto& w = p["workload_metrics"];
  EXPECT_EQ(w["payload_bytes"], 64 * 1024);
  EXPECT_EQ(w["target"]["files"], 6);
  EXPECT_EQ(w["verified"]["files"], 6);
  EXPECT_EQ(w["verified"]["samples"], 64);
  std::uint64_t files = 0;
  for (const auto& row : p["across_ranks"]["rows"]) {
    EXPECT_EQ(row["workload_metrics"]["target"]["files"], 2) << row.dump();
    files += row["workload_metrics"]["verified"]["files"].get<std::uint64_t>();
  }
  EXPECT_EQ(files, 6u);
  std::ifstream in(dir.path() / "packed-tfrecord" / "aistor-pack.json");
  const auto manifest = nlohmann::json::parse(in);
  EXPECT_EQ(manifest["complete"], true);
  EXPECT_EQ(manifest["files"].size(), 6u);
  for (const auto& f : manifest["files"])
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "packed-tfrecord" / f.get<std::string>()));
}

TEST(Mpi, ARankWhoseReadsFailFailsThePhaseNamingItAndKeepsEveryRanksNumbers) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  // Only rank 1's own file (its rank is in the name) fails, 1 MiB in.
  const auto path = write_file(dir.path() / "config.json", R"({"phases": [{"name": "r",
      "workload": "raw", "rw": "read", "size": "4MiB", "block_size": "64KiB",
      "engine": {"name": "fault", "host_engine": "pread",
                 "faults": [{"kind": "eio", "at": "1MiB", "file": ".r00001."}]}}]})");
  const auto out = dir.path() / "r.json";
  const auto r = test::run_command(mpirun(3, "timeout 120") + " run " + path.string() + " --dir " +
                                   dir.path().string() + " --output " + out.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;  // the run failed; the report is written
  std::ifstream in(out);
  ASSERT_TRUE(in) << r.output;
  const auto report = nlohmann::json::parse(in);
  const auto& p = report["phases"][0];
  EXPECT_EQ(p["status"], "failed");
  EXPECT_NE(p["error"].get<std::string>().find(".r00001.0"), std::string::npos) << p["error"];
  EXPECT_NE(p["error"].get<std::string>().find("offset 1048576"), std::string::npos) << p["error"];
  const auto& rows = p["across_ranks"]["rows"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["bytes"], 4u << 20);  // the others ran to their end
  EXPECT_EQ(rows[2]["bytes"], 4u << 20);
  EXPECT_EQ(rows[1]["bytes"], 1u << 20);  // what rank 1 read before its error: kept, not dropped
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_EQ(rows[1]["status"], "failed");
  EXPECT_EQ(rows[1]["error"], "rank 1: 1 of its workers ended on an I/O error (errors.first)");
  EXPECT_EQ(p["across_ranks"]["completed"], 2);
  EXPECT_EQ(p["bytes"], 9u << 20);
  EXPECT_EQ(p["errors"]["count"], 1);
}

TEST(Mpi, PhasesThatCannotRunAcrossRanksAreRefusedInOneLine) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto config = write_file(dir.path() / "load.json", R"({"phases": [{"workload":
      "model-load", "model": {"size": "1MiB"}}]})");
  const auto r =
      test::run_command(mpirun(2) + " run " + config.string() + " --dir " + dir.path().string() +
                        " --output " + (dir.path() / "r.json").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("aistor: config: phases[0]: under mpirun (2 ranks) only raw, samples, "
                          "checkpoint, storm, pack, kv-cache phases run across ranks so far; run "
                          "the model-load workload without mpirun"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("aistor: config"), r.output.rfind("aistor: config")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "r.json"));
}

TEST(Mpi, AKilledRankEndsTheJobWithoutAHang) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto config = write_file(dir.path() / "kill-me.json", R"({"phases": [{"name": "k",
      "workload": "storm", "model": {"size": "256MiB"}, "cache": "as-is",
      "chunk_size": "64KiB", "repeat": 20}]})");
  std::atomic<bool> done{false};
  std::atomic<int> killed{0};
  // Kills one rank once it is loading (its rchar past 1 MiB): a rank of this job is an aistor
  // process whose command line names this config.
  std::thread killer([&] {
    while (!done.load() && killed.load() == 0) {
      for (const int pid : ranks_reading("kill-me.json", 1u << 20)) {
        if (kill(pid, SIGKILL) == 0) {
          killed = pid;
          break;
        }
      }
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      test::run_command(mpirun(3, "timeout 120") + " run " + config.string() + " --dir " +
                        dir.path().string() + " --output " + (dir.path() / "r.json").string());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done = true;
  killer.join();
  ASSERT_NE(killed.load(), 0) << r.output;
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "the job hung until timeout killed it: " << r.output;
  EXPECT_LT(s, 60.0);
}

TEST(Mpi, AStoppedRankEndsTheJobAtTheRankTimeoutNamingIt) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  // Small files: the ranks prepare in turn, and a turn must stay well inside rank_timeout even on
  // a loaded machine (the timeout bounds those waits too).
  const auto config = write_file(dir.path() / "stop-me.json", R"({"rank_timeout": "5s",
      "phases": [{"name": "s", "workload": "raw", "rw": "read", "size": "8MiB",
      "block_size": "64KiB", "cache": "as-is", "repeat": 400}]})");
  std::atomic<bool> done{false};
  std::atomic<int> stopped{0};
  // Stops (SIGSTOP: alive, so MPI sees nothing wrong) the last rank of this job once it reads.
  std::thread stopper([&] {
    while (!done.load() && stopped.load() == 0) {
      int last = 0;
      for (const int pid : ranks_reading("stop-me.json", 4u << 20))
        last = std::max(last, pid);
      if (last != 0 && kill(last, SIGSTOP) == 0) stopped = last;
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      test::run_command(mpirun(3, "timeout 120") + " run " + config.string() + " --dir " +
                        dir.path().string() + " --output " + (dir.path() / "r.json").string());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done = true;
  stopper.join();
  if (stopped.load() != 0) kill(stopped.load(), SIGKILL);  // if mpirun left it
  ASSERT_NE(stopped.load(), 0) << r.output;
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "the job hung until timeout killed it: " << r.output;
  EXPECT_LT(s, 60.0);
  EXPECT_NE(r.output.find("the other ranks did not join within rank_timeout (5 s): a rank is "
                          "stuck or gone; ending the job"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "r.json"));
}

}  // namespace aistor
