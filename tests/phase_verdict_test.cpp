#include "workloads/runner/phase_verdict.hpp"

#include <gtest/gtest.h>

#include "tests/test_support.hpp"

namespace aistor {
namespace {

// A phase's figures as the runner writes them: `read` bytes delivered in 1 s by `workers` with
// queue depth `qd`, `in_flight` of them on average, `cpu` seconds of CPU, and the disks.
nlohmann::json phase(double read, double workers, double qd, double in_flight, double cpu,
                     nlohmann::json disks, const std::string& fs = "ext4") {
  return {{"bytes", read},
          {"read", {{"bytes", read}}},
          {"write", {{"bytes", 0}}},
          {"duration_s", 1.0},
          {"workers", workers},
          {"queue_depth", qd},
          {"achieved_queue_depth", in_flight},
          {"cpu", {{"user_s", cpu / 2}, {"sys_s", cpu / 2}}},
          {"workload_metrics", nullptr},
          {"devices", {{"fs_type", fs}, {"disks", std::move(disks)}}}};
}

nlohmann::json disk(const char* name, double read, double busy, double queue, bool member = false,
                    double written = 0) {
  return {{"name", name},           {"member", member},      {"read_bytes", read},
          {"write_bytes", written}, {"busy_fraction", busy}, {"avg_queue", queue}};
}

TEST(PhaseVerdict, AWarmBufferedPhaseIsPageCacheAndBoundByTheClientCpu) {
  const auto v = phase_verdict(phase(4e9, 1, 1, 0.99, 0.98, {disk("vda", 0, 0, 0)}), 2);
  EXPECT_EQ(v["source"], "page cache");
  EXPECT_EQ(v["device_share"], 0.0);
  EXPECT_EQ(v["bound"], "client CPU");
  EXPECT_EQ(v["why"],
            "vda moved 0% of the 4000000000 bytes delivered; 0.98 of 1 usable cores busy");
}

TEST(PhaseVerdict, AColdDirectPhaseIsStorageAndItsQueueDepthTheBound) {
  const auto v = phase_verdict(phase(1e9, 1, 1, 0.98, 0.3, {disk("vda", 1e9, 0.74, 0.86)}), 2);
  EXPECT_EQ(v["source"], "storage");
  EXPECT_EQ(v["device_share"], 1.0);
  EXPECT_FALSE(v["saturated"].get<bool>());
  EXPECT_EQ(v["bound"], "queue depth");
}

TEST(PhaseVerdict, ADeviceBusyWithAQueueIsSaturatedAndTheBound) {
  const auto v = phase_verdict(phase(2e9, 1, 32, 31.5, 0.2, {disk("nvme0n1", 2e9, 0.99, 28)}), 16);
  EXPECT_EQ(v["source"], "storage");
  EXPECT_TRUE(v["saturated"].get<bool>());
  EXPECT_EQ(v["bound"], "device");
  // Busy but one request at a time: not saturated.
  const auto one = phase_verdict(phase(2e9, 1, 1, 1, 0.2, {disk("nvme0n1", 2e9, 0.99, 1)}), 16);
  EXPECT_FALSE(one["saturated"].get<bool>());
  EXPECT_EQ(one["bound"], "queue depth");
}

TEST(PhaseVerdict, MembersUnderDmOrMdAreWhatSaturates) {
  const auto v = phase_verdict(phase(2e9, 4, 8, 30, 0.5,
                                     {disk("dm-0", 2e9, 0.5, 1), disk("sda", 1e9, 0.99, 12, true),
                                      disk("sdb", 1e9, 0.6, 3, true)}),
                               16);
  EXPECT_TRUE(v["saturated"].get<bool>());
  EXPECT_EQ(v["figures"]["device_busy"], 0.99);
  EXPECT_EQ(v["bound"], "device");
}

TEST(PhaseVerdict, MixedGivesTheShareAndWritebackIsNotCreditedToReads) {
  auto v = phase_verdict(phase(1e9, 1, 1, 0.5, 0.4, {disk("vda", 5e8, 0.5, 1)}), 2);
  EXPECT_EQ(v["source"], "mixed");
  EXPECT_EQ(v["device_share"], 0.5);
  EXPECT_EQ(v["bound"], "unknown");
  v = phase_verdict(phase(1e9, 1, 1, 0.5, 0.4, {disk("vda", 0, 0.5, 1, false, 9e8)}), 2);
  EXPECT_EQ(v["source"], "page cache");
}

TEST(PhaseVerdict, SimulatedComputeIsThinkTime) {
  auto p = phase(1e9, 2, 1, 0.1, 0.1, {disk("vda", 1e9, 0.2, 0.1)});
  p["workload_metrics"] = {{"au", 0.95}, {"compute_s", 1.9}};
  auto v = phase_verdict(p, 2);
  EXPECT_EQ(v["bound"], "think time");
  EXPECT_EQ(v["figures"]["au"], 0.95);
  p["workload_metrics"] = {{"compute_s", 1.2}};  // no AU (a checkpoint's compute): its share
  v = phase_verdict(p, 2);
  EXPECT_EQ(v["bound"], "think time");
  EXPECT_EQ(v["figures"]["compute_share"], 0.6);
}

TEST(PhaseVerdict, TmpfsIsPageCacheAndNoFilesystemDeviceIsUnknown) {
  auto v = phase_verdict(phase(1e9, 2, 1, 2, 1.9, nlohmann::json::array(), "tmpfs"), 2);
  EXPECT_EQ(v["source"], "page cache");
  EXPECT_EQ(v["bound"], "client CPU");
  EXPECT_EQ(v["why"], "tmpfs: memory, no device; 1.90 of 2 usable cores busy");
  auto p = phase(1e9, 1, 1, 1, 0.1, nlohmann::json::array(), "nfs4");
  p["devices"]["why"] = "nfs4: no block device";
  v = phase_verdict(p, 2);
  EXPECT_EQ(v["source"], "unknown");
  EXPECT_TRUE(v["device_share"].is_null());
  EXPECT_EQ(v["why"], "nfs4: no block device; 1.0 of 1 slots in flight, the device not saturated");
}

TEST(PhaseVerdict, DeviceFiguresAreTheCountersOverThePhase) {
  DiskSet set;
  set.fs_type = "ext4";
  set.disks.push_back({"md0", "/sys/devices/virtual/block/md0", false});
  set.disks.push_back({"sda", "/sys/devices/pci/block/sda", true});
  const auto j =
      device_figures(set, {{1, 1000, 0, 0, 100, 100}, {1, 500, 0, 0, 100, 100}},
                     {{5, 9000, 2, 4096, 600, 2100}, {3, 4500, 1, 2048, 2100, 6100}}, 2.0);
  EXPECT_EQ(j["fs_type"], "ext4");
  ASSERT_EQ(j["disks"].size(), 2u);
  EXPECT_EQ(j["disks"][0]["read_bytes"], 8000);
  EXPECT_EQ(j["disks"][0]["write_bytes"], 4096);
  EXPECT_EQ(j["disks"][0]["busy_fraction"], 0.25);
  EXPECT_EQ(j["disks"][0]["avg_queue"], 1.0);
  EXPECT_EQ(j["disks"][1]["member"], true);
  EXPECT_EQ(j["disks"][1]["busy_fraction"], 1.0);  // 2 s busy of 2 s
  EXPECT_EQ(j["disks"][1]["avg_queue"], 3.0);
}

TEST(PhaseVerdict, EveryPhaseRunCarriesItsDevicesVerdictAndWorkersCpu) {
  test::ScratchDir dir;
  const auto p = test::run_phase(dir.path(), {{"name", "r"},
                                              {"workload", "raw"},
                                              {"rw", "read"},
                                              {"block_size", "64KiB"},
                                              {"size", "8MiB"},
                                              {"threads", 2},
                                              {"file_per_thread", false},
                                              {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(p["status"], "ok");
  ASSERT_EQ(p["cpu"]["workers_s"].size(), 2u);
  for (const auto& w : p["cpu"]["workers_s"])
    EXPECT_GE(w.get<double>(), 0.0);
  ASSERT_TRUE(p.contains("devices"));
  // A scratch directory on a real disk: its device found, unless this machine hides /sys.
  if (p["devices"].contains("why")) {
    EXPECT_TRUE(p["devices"]["disks"].empty());
  } else {
    ASSERT_FALSE(p["devices"]["disks"].empty());
    EXPECT_FALSE(p["devices"]["disks"][0]["member"].get<bool>());
  }
  const std::string source = p["verdict"]["source"];
  EXPECT_TRUE(source == "storage" || source == "page cache" || source == "mixed" ||
              source == "unknown")
      << source;
  EXPECT_EQ(p["verdict"]["figures"]["workers"], 2.0);
  EXPECT_TRUE(p["verdict"]["figures"].contains("busiest_worker_cpu"));
}

}  // namespace
}  // namespace aistor
