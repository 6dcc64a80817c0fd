// aistor under mpirun (OpenMPI, as CI installs it): a storm with one client per rank, rank 0
// writing the one report; phases that cannot run across ranks refused; a killed rank ends the job
// without a hang. Skipped where aistor was built without MPI or mpirun is missing.
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

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"
#include "workloads/ranks.hpp"

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

std::filesystem::path write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
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

TEST(Mpi, PhasesThatCannotRunAcrossRanksAreRefusedInOneLine) {
  if (const auto why = why_no_mpi(); !why.empty()) GTEST_SKIP() << why;
  test::ScratchDir dir;
  const auto config =
      write_file(dir.path() / "raw.json", R"({"phases": [{"workload": "raw", "size": "1MiB"}]})");
  const auto r =
      test::run_command(mpirun(2) + " run " + config.string() + " --dir " + dir.path().string() +
                        " --output " + (dir.path() / "r.json").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("aistor: config: phases[0]: under mpirun (2 ranks) only storm phases "
                          "run across ranks so far"),
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
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string line = read_proc(e.path() / "cmdline");
        if (line.rfind(AISTOR_BINARY, 0) != 0 || line.find("kill-me.json") == std::string::npos) {
          continue;
        }
        std::istringstream io(read_proc(e.path() / "io"));
        std::string key;
        std::uint64_t value = 0;
        while (io >> key >> value) {
          if (key == "rchar:" && value > (1u << 20) && kill(std::stoi(pid), SIGKILL) == 0) {
            killed = std::stoi(pid);
          }
        }
        if (killed.load() != 0) break;
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

}  // namespace aistor
