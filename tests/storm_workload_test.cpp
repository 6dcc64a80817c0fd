// The storm workload on real files with real forked clients: per-client rows that sum to the
// phase, a shared page cache (one copy read from storage, not one per client), refresh loading a
// new version, a killed client failing the phase cleanly, Ctrl-C, and bad configs.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor {
namespace {

using formats::ModelFormat;

// A model of about `mib` MiB: a few large BF16 tensors and a small one.
formats::ModelFile write_model(const std::filesystem::path& path, std::uint64_t mib) {
  std::vector<formats::TensorSpec> ts;  // 4 tensors of mib x 256 rows of 512 BF16 (1 KiB a row)
  for (int i = 0; i < 4; ++i)
    ts.push_back({fmt::format("layer.{}.w", i), "BF16", {mib * 256, 512}});
  ts.push_back({"norm", "F32", {33}});
  return formats::write_model_file(path, ModelFormat::safetensors, ts, 3);
}

nlohmann::json storm(const std::filesystem::path& model, unsigned clients,
                     const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json p{{"workload", "storm"},
                   {"path", model.string()},
                   {"clients", clients},
                   {"cache", "as-is"},
                   {"chunk_size", "256KiB"}};
  p.update(extra);
  return p;
}

std::uint64_t u64(const nlohmann::json& j) {
  return j.get<std::uint64_t>();
}

}  // namespace

TEST(Storm, ClientRowsSumToThePhase) {
  test::ScratchDir dir;
  const auto m = write_model(dir.path() / "m.safetensors", 8);
  auto phase = test::run_phase(dir.path(), storm(m.path, 3, {{"threads", 2}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  const auto& w = phase["workload_metrics"];
  ASSERT_EQ(w["client_rows"].size(), 3u);
  EXPECT_EQ(phase["clients"], 3);
  EXPECT_EQ(phase["workers"], 6);  // 3 clients x 2 threads
  std::uint64_t bytes = 0, ops = 0, storage = 0;
  std::set<int> pids;
  for (const auto& row : w["client_rows"]) {
    EXPECT_EQ(row["status"], "ok") << row.dump();
    EXPECT_EQ(u64(row["bytes"]), m.file_bytes);  // every client loads the whole file
    bytes += u64(row["bytes"]);
    ops += u64(row["ops"]);
    storage += u64(row["storage_read_bytes"]);
    pids.insert(row["pid"].get<int>());
    // After the barrier: start, first byte, first tensor, finish, in that order.
    const double start = row["start_s"], first = row["first_byte_s"];
    const double tensor = row["first_tensor_s"], finish = row["finish_s"];
    EXPECT_GE(start, 0.0);
    EXPECT_LE(start, first);
    EXPECT_LE(first, tensor);
    EXPECT_LE(tensor, finish);
    // Times come from whole nanoseconds; the difference of two doubles is exact only to a few
    // ULPs of the operands (not of the small result), so compare within a picosecond.
    EXPECT_NEAR(row["load_s"].get<double>(), finish - start, 1e-12);
  }
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(pids.count(getpid()), 0u);
  EXPECT_EQ(u64(phase["bytes"]), bytes);
  EXPECT_EQ(u64(w["bytes"]), bytes);
  EXPECT_EQ(u64(phase["ops"]), ops);
  EXPECT_EQ(u64(phase["storage_read_bytes"]), storage);
  EXPECT_EQ(u64(w["storage_read_bytes"]), storage);
  EXPECT_EQ(w["completed"], 3);
  const auto& c = w["completion_s"];
  EXPECT_LE(c["min"].get<double>(), c["p50"].get<double>());
  EXPECT_LE(c["p50"].get<double>(), c["max"].get<double>());
  EXPECT_EQ(c["p99"], c["max"]);  // nearest rank over 3 clients
  EXPECT_DOUBLE_EQ(w["straggler_ratio"].get<double>(),
                   c["max"].get<double>() / c["p50"].get<double>());
  EXPECT_LE(w["first_done_s"].get<double>(), w["last_done_s"].get<double>());
  EXPECT_DOUBLE_EQ(w["last_done_bytes_per_s"].get<double>(),
                   static_cast<double>(bytes) / w["last_done_s"].get<double>());
  // The stonewall: when the first client finished, it had all its bytes; nobody had more.
  std::uint64_t at_first = 0, full = 0;
  for (const auto& row : w["client_rows"]) {
    at_first += u64(row["bytes_at_first_done"]);
    EXPECT_LE(u64(row["bytes_at_first_done"]), u64(row["bytes"]));
    full += u64(row["bytes_at_first_done"]) == u64(row["bytes"]) ? 1 : 0;
  }
  EXPECT_GE(full, 1u);
  EXPECT_DOUBLE_EQ(w["first_done_bytes_per_s"].get<double>(),
                   static_cast<double>(at_first) / w["first_done_s"].get<double>());
  EXPECT_EQ(w["model"]["file_bytes"], m.file_bytes);
}

TEST(Storm, ClientsShareThePageCacheOnAColdLoad) {
  test::ScratchDir dir;
  const auto m = write_model(dir.path() / "m.safetensors", 32);
  const auto one = test::run_phase(dir.path(), storm(m.path, 1, {{"cache", "cold"}}));
  ASSERT_EQ(one["status"], "ok") << one.dump();
  if (u64(one["storage_read_bytes"]) < m.file_bytes / 2) {
    GTEST_SKIP() << "a cold load read " << one["storage_read_bytes"]
                 << " bytes from storage here: the cache cannot be dropped on this filesystem";
  }
  const auto four = test::run_phase(dir.path(), storm(m.path, 4, {{"cache", "cold"}}));
  ASSERT_EQ(four["status"], "ok") << four.dump();
  // Four clients deliver four copies, but storage is read about once: the page cache is shared,
  // and the rows say who paid.
  EXPECT_EQ(u64(four["bytes"]), 4 * m.file_bytes);
  EXPECT_LT(u64(four["storage_read_bytes"]), 2 * m.file_bytes);
  EXPECT_GE(u64(four["storage_read_bytes"]), m.file_bytes / 2);
  double served = 0;
  for (const auto& row : four["workload_metrics"]["client_rows"])
    served += row["page_cache_fraction"].get<double>();
  EXPECT_GT(served, 1.5);  // of 4.0: most bytes came from pages another client had read
}

TEST(Storm, RefreshLoadsTheNewVersionAfterTheCurrentOne) {
  test::ScratchDir dir;
  const auto v1 = write_model(dir.path() / "v1.safetensors", 4);
  const auto v2 = write_model(dir.path() / "v2.safetensors", 6);
  auto phase = test::run_phase(
      dir.path(),
      storm(
          v2.path, 2,
          {{"refresh", true}, {"previous", v1.path.string()}, {"cache", "cold"}, {"threads", 2}}));
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  // Only the new version is timed and is the phase's file: each client's bytes are v2's, once.
  EXPECT_EQ(u64(phase["bytes"]), 2 * v2.file_bytes);
  EXPECT_EQ(phase["cache"]["file_bytes"], v2.file_bytes);
  EXPECT_EQ(phase["workload_metrics"]["refresh"], true);
  EXPECT_EQ(phase["workload_metrics"]["model"]["file_bytes"], v2.file_bytes);
}

TEST(Storm, RefreshOfAGeneratedModelWritesTheNewVersionBesideIt) {
  test::ScratchDir dir;
  auto phase = test::run_phase(dir.path(), {{"workload", "storm"},
                                            {"clients", 2},
                                            {"refresh", true},
                                            {"cache", "cold"},
                                            {"model", {{"size", "6MiB"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 3u);  // both versions, and the list that says aistor made them
  EXPECT_EQ(names[0], "aistor-files.json");
  EXPECT_EQ(names[1], "aistor-model-sized-h256-1l-BF16-v2.safetensors");
  EXPECT_EQ(names[2], "aistor-model-sized-h256-1l-BF16.safetensors");
  const auto v1 = formats::read_model_file(dir.path() / names[2]);
  const auto v2 = formats::read_model_file(dir.path() / names[1]);
  EXPECT_EQ(v1.tensors, v2.tensors);  // the same model, another version's bytes
  EXPECT_EQ(u64(phase["bytes"]), 2 * v2.file_bytes);
  std::ifstream a(dir.path() / names[1], std::ios::binary),
      b(dir.path() / names[2], std::ios::binary);
  const std::string bytes_a((std::istreambuf_iterator<char>(a)), {});
  const std::string bytes_b((std::istreambuf_iterator<char>(b)), {});
  EXPECT_NE(bytes_a, bytes_b);
}

// Kills the first client process of this test that `ready(pid)` accepts; returns its pid.
// Reads a small /proc file into `buf` with read(2): nothing allocated, because a thread inside
// malloc while the storm forks would leave the child's allocator locked (GCC 12's ASan allocator
// has no fork handler) and the child would never start.
std::size_t read_proc(const char* path, char* buf, std::size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t n = 0;
  while (n + 1 < size) {
    const ssize_t r = ::read(fd, buf + n, size - 1 - n);
    if (r <= 0) break;
    n += static_cast<std::size_t>(r);
  }
  ::close(fd);
  buf[n] = '\0';
  return n;
}

// Bytes the process has passed to read-like calls: above a MiB, it is inside the timed load.
std::uint64_t rchar_of(int pid) {
  char path[64], buf[1024];
  std::snprintf(path, sizeof path, "/proc/%d/io", pid);
  if (read_proc(path, buf, sizeof buf) == 0) return 0;
  const char* at = std::strstr(buf, "rchar:");
  return at ? std::strtoull(at + 6, nullptr, 10) : 0;
}

// Kills the first child of this process for which `ready(pid)` holds, from a thread that
// allocates nothing while it polls (see read_proc).
class ClientKiller {
 public:
  explicit ClientKiller(std::function<bool(int)> ready)
      : path_(fmt::format("/proc/{}/task/{}/children", getpid(), getpid())),
        thread_([this, ready = std::move(ready)] {
          char buf[256];
          while (!done_.load() && killed_.load() == 0) {
            int pid = 0;
            if (read_proc(path_.c_str(), buf, sizeof buf) > 0) pid = std::atoi(buf);
            if (pid > 0 && ready(pid) && kill(pid, SIGKILL) == 0) killed_ = pid;
          }
        }) {}
  ~ClientKiller() { stop(); }
  int stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return killed_.load();
  }

 private:
  const std::string path_;
  std::atomic<bool> done_{false};
  std::atomic<int> killed_{0};
  std::thread thread_;
};

// The killed client's row says it failed and names the signal; the others are whole rows.
void expect_one_failed(const nlohmann::json& phase, int killed, bool others_ok) {
  EXPECT_EQ(phase["status"], "failed") << phase.dump();
  EXPECT_NE(
      phase["error"].get<std::string>().find(fmt::format("(pid {}): killed by signal 9", killed)),
      std::string::npos)
      << phase["error"];
  const auto& rows = phase["workload_metrics"]["client_rows"];
  ASSERT_EQ(rows.size(), 3u);
  unsigned failed = 0;
  for (const auto& row : rows) {
    if (row["pid"] == killed) {
      EXPECT_EQ(row["status"], "failed") << row.dump();
      ++failed;
    } else if (others_ok) {
      EXPECT_EQ(row["status"], "ok") << row.dump();
    } else {
      EXPECT_TRUE(row["status"] == "ok" || row["status"] == "stopped") << row.dump();
    }
  }
  EXPECT_EQ(failed, 1u) << rows.dump();
}

TEST(Storm, AClientKilledDuringTheLoadFailsThePhaseAndTheOthersFinish) {
  test::ScratchDir dir;
  const auto m = write_model(dir.path() / "m.safetensors", 256);
  ClientKiller killer([](int pid) { return rchar_of(pid) > (1u << 20); });
  auto phase = test::run_phase(dir.path(), storm(m.path, 3, {{"chunk_size", "64KiB"}}));
  const int killed = killer.stop();
  ASSERT_NE(killed, 0) << "no client was seen loading";
  expect_one_failed(phase, killed, true);
}

TEST(Storm, AClientKilledAtOnceFailsThePhaseWithoutAHang) {
  test::ScratchDir dir;
  const auto m = write_model(dir.path() / "m.safetensors", 64);
  ClientKiller killer([](int) { return true; });
  auto phase = test::run_phase(dir.path(), storm(m.path, 3));
  const int killed = killer.stop();
  ASSERT_NE(killed, 0);
  expect_one_failed(phase, killed, false);
}

TEST(Storm, StopEndsEveryClientPromptly) {
  test::ScratchDir dir;
  const auto m = write_model(dir.path() / "m.safetensors", 64);
  nlohmann::json p = storm(m.path, 2, {{"chunk_size", "4KiB"}, {"repeat", 50}});
  const nlohmann::json config{{"dir", dir.path().string()}, {"phases", {p}}};
  std::atomic<bool> stop{false};
  RunOptions options;
  options.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  const RunOutcome out = run_plan(make_plan(config, std::nullopt), options);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stopper.join();
  EXPECT_EQ(out.status, Status::interrupted);
  EXPECT_LT(s, 10.0);  // 50 repetitions of 4 KiB loads would take far longer
  // The stop lands inside a repetition (which ends "interrupted") or between two (the last one
  // ran ends "ok"); either way no later repetition starts.
  ASSERT_FALSE(out.phases.empty());
  EXPECT_LT(out.phases.size(), 50U);
  for (std::size_t i = 0; i + 1 < out.phases.size(); ++i)
    EXPECT_EQ(out.phases[i]["status"], "ok") << i;
  const auto last = out.phases.back()["status"].get<std::string>();
  EXPECT_TRUE(last == "interrupted" || last == "ok") << out.phases.back().dump();
}

TEST(Storm, BadConfigsNameTheKey) {
  test::ScratchDir dir;
  auto plan_error = [&](const nlohmann::json& phase) {
    try {
      (void)make_plan({{"dir", dir.path().string()}, {"phases", {phase}}}, std::nullopt);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto model = (dir.path() / "m.safetensors").string();
  EXPECT_NE(plan_error(storm(model, 0)).find("phases[0].clients"), std::string::npos);
  EXPECT_NE(plan_error(storm(model, 2, {{"refresh", true}})).find("phases[0].refresh"),
            std::string::npos);
  EXPECT_NE(plan_error(storm(model, 2, {{"previous", model}})).find("phases[0].previous"),
            std::string::npos);
  EXPECT_NE(plan_error(storm(model, 2, {{"client", 3}})).find("client"), std::string::npos);
  const nlohmann::json both{{"workload", "storm"},
                            {"model", {{"preset", "7b"}, {"parameters", 1000000}}}};
  EXPECT_NE(plan_error(both).find("phases[0].model.preset: give one of a preset (and scale), a "
                                  "size or a parameter count"),
            std::string::npos)
      << plan_error(both);
}

}  // namespace aistor
