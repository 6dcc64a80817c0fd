// Raw phases on a real block device (a loop device over a scratch file): read in place; written
// only with --allow-device-writes and never while something holds it; symlinks resolved.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "core/block_device.hpp"
#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "core/target_info.hpp"
#include "core/unique_fd.hpp"
#include "engines/pump.hpp"
#include "tests/test_support.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor {
namespace {

constexpr std::uint64_t kBytes = 8 << 20;

// A loop device over a pattern file, detached at the end; empty when this machine cannot make one.
class LoopDevice {
 public:
  explicit LoopDevice(const std::filesystem::path& backing) {
    auto r = test::run_command("losetup -f --show " + backing.string() + " 2>&1");
    if (r.exit_code == 0 && r.output.starts_with("/dev/loop")) {
      path_ = r.output.substr(0, r.output.find('\n'));
    } else {
      why_ = r.output;
    }
  }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  ~LoopDevice() {
    if (!path_.empty()) (void)test::run_command("losetup -d " + path_);
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& why() const { return why_; }

 private:
  std::string path_;
  std::string why_;
};

class BlockDeviceTarget : public testing::Test {
 protected:
  void SetUp() override {
    backing_ = test::write_pattern_file(dir_.path() / "backing.img", kBytes, 9);
    loop_ = std::make_unique<LoopDevice>(backing_);
    if (loop_->path().empty()) GTEST_SKIP() << "no loop device here: " << loop_->why();
  }

  nlohmann::json run(nlohmann::json phase, bool allow_writes) {
    const nlohmann::json config{{"dir", dir_.path().string()},
                                {"phases", nlohmann::json::array({phase})}};
    RunOptions options;
    options.allow_device_writes = allow_writes;
    return run_plan(make_plan(config, std::nullopt), options).phases.at(0);
  }

  bool device_holds_pattern() {
    std::ifstream in(loop_->path(), std::ios::binary);
    std::vector<char> now(kBytes);
    in.read(now.data(), static_cast<std::streamsize>(kBytes));
    std::vector<std::byte> want(kBytes);
    fill_random(want.data(), want.size(), 9);
    return in.gcount() == static_cast<std::streamsize>(kBytes) &&
           std::memcmp(now.data(), want.data(), kBytes) == 0;
  }

  test::ScratchDir dir_;
  std::filesystem::path backing_;
  std::unique_ptr<LoopDevice> loop_;
};

TEST_F(BlockDeviceTarget, IsInspectedForSizeAndUse) {
  const BlockDevice d = inspect_block_device(loop_->path());
  EXPECT_EQ(d.path, loop_->path());
  EXPECT_EQ(d.bytes, kBytes);
  EXPECT_TRUE(d.in_use.empty()) << d.in_use.front();
  EXPECT_THROW((void)inspect_block_device(backing_), InputError);
}

TEST_F(BlockDeviceTarget, TheReportsTargetIsTheDeviceItself) {
  const auto info = target_info(loop_->path());
  EXPECT_EQ(info["path"], loop_->path());
  EXPECT_EQ(info["block_device"], true);
  EXPECT_TRUE(info["filesystem"].is_null());
  EXPECT_EQ(info["device"], std::filesystem::path(loop_->path()).filename().string());
  EXPECT_EQ(info["total_bytes"], kBytes);
  // A run's report names the device under targets, not the phase directory.
  const auto config = dir_.path() / "device.json";
  std::ofstream(config) << nlohmann::json{{"phases",
                                           {{{"workload", "raw"},
                                             {"device", loop_->path()},
                                             {"size", "1MiB"},
                                             {"block_size", "64KiB"}}}}};
  const auto out = dir_.path() / "r.json";
  const auto r = test::run_command(std::string(AISTOR_BINARY) + " run " + config.string() +
                                   " --dir " + dir_.path().string() + " --output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out);
  const auto report = nlohmann::json::parse(in);
  ASSERT_EQ(report["targets"].size(), 1u) << report["targets"].dump();
  EXPECT_EQ(report["targets"][0]["path"], loop_->path());
  EXPECT_EQ(report["targets"][0]["block_device"], true);
}

TEST_F(BlockDeviceTarget, ReadsInPlaceWithoutTheFlag) {
  auto phase = run({{"workload", "raw"},
                    {"rw", "read"},
                    {"device", loop_->path()},
                    {"size", "8MiB"},
                    {"block_size", "1MiB"},
                    {"threads", 2},
                    {"engine", {{"name", "io_uring"}, {"queue_depth", 4}, {"direct", true}}}},
                   false);
  ASSERT_EQ(phase["status"], "ok") << phase.value("error", "");
  EXPECT_EQ(phase["bytes"], kBytes);
  EXPECT_EQ(phase["ops"], 8);
  EXPECT_TRUE(device_holds_pattern());
}

TEST_F(BlockDeviceTarget, WritesNeedTheFlagAndAreVerified) {
  const auto link = dir_.path() / "disk";
  std::filesystem::create_symlink(loop_->path(), link);
  nlohmann::json write{{"workload", "raw"}, {"rw", "randwrite"},     {"device", link.string()},
                       {"size", "4MiB"},    {"block_size", "64KiB"}, {"verify", true}};
  auto phase = run(write, false);
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"], loop_->path() +
                                ": a block device: a write phase destroys what it holds; run with "
                                "--allow-device-writes to allow it");
  EXPECT_TRUE(device_holds_pattern());

  phase = run(write, true);
  ASSERT_EQ(phase["status"], "ok") << phase.value("error", "");
  EXPECT_EQ(phase["workload_metrics"]["verify"]["blocks_checked"], 64);
  EXPECT_FALSE(device_holds_pattern());
}

TEST_F(BlockDeviceTarget, ADeviceInUseIsNeverWritten) {
  // Another holder's exclusive claim, as a mount or swap would have.
  UniqueFd holder(::open(loop_->path().c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
  ASSERT_TRUE(holder) << std::strerror(errno);
  auto phase = run(
      {{"workload", "raw"}, {"rw", "write"}, {"device", loop_->path()}, {"size", "1MiB"}}, true);
  EXPECT_EQ(phase["status"], "failed");
  EXPECT_EQ(phase["error"], loop_->path() +
                                ": in use (claimed by another user (O_EXCL open: EBUSY)): never "
                                "written, even with --allow-device-writes");
  holder.reset();
  EXPECT_TRUE(device_holds_pattern());
}

TEST_F(BlockDeviceTarget, ImpossibleSizesAndFilesAreRefused) {
  auto phase = run({{"workload", "raw"}, {"device", loop_->path()}, {"size", "16MiB"}}, false);
  EXPECT_EQ(phase["error"], loop_->path() +
                                ": the phase's size 16777216 is larger than the device "
                                "(8388608 bytes)");
  phase = run({{"workload", "raw"}, {"device", backing_.string()}, {"size", "1MiB"}}, false);
  EXPECT_EQ(phase["error"], backing_.string() + ": not a block device");
}

TEST(BlockDevicePlan, DeviceKeysAreChecked) {
  EXPECT_EQ(test::plan_error({{"workload", "raw"}, {"device", "loop0"}, {"size", "1MiB"}}),
            "config: phases[0].device: must be an absolute path, e.g. /dev/nvme0n1");
  EXPECT_EQ(
      test::plan_error(
          {{"workload", "raw"}, {"device", "/dev/loop0"}, {"file_name", "x"}, {"size", "1MiB"}}),
      "config: phases[0].file_name: give either a file_name or a device");
  EXPECT_EQ(test::plan_error({{"workload", "raw"},
                              {"device", "/dev/loop0"},
                              {"file_per_thread", true},
                              {"size", "1MiB"}}),
            "config: phases[0].file_per_thread: a device is one file its threads share");
}

}  // namespace
}  // namespace aistor
