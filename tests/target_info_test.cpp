#include "core/target_info.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/host_info.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

using TempDir = test::ScratchDir;

// The names mountinfo may give for a statfs magic; empty when the magic is not one we know.
std::set<std::string> names_for_magic(const fs::path& path) {
  struct statfs sf {};
  if (::statfs(path.c_str(), &sf) != 0) return {};
  static const std::map<std::uint64_t, std::set<std::string>> kNames = {
      {EXT4_SUPER_MAGIC, {"ext2", "ext3", "ext4"}},
      {XFS_SUPER_MAGIC, {"xfs"}},
      {TMPFS_MAGIC, {"tmpfs"}},
      {BTRFS_SUPER_MAGIC, {"btrfs"}},
      {OVERLAYFS_SUPER_MAGIC, {"overlay"}},
      {NFS_SUPER_MAGIC, {"nfs", "nfs4"}},
  };
  const auto it = kNames.find(static_cast<std::uint64_t>(sf.f_type));
  return it == kNames.end() ? std::set<std::string>{} : it->second;
}

bool power_of_two(std::uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

TEST(TargetInfo, TempDirMatchesIndependentChecks) {
  TempDir dir;
  const auto info = target_info(dir.path());

  const fs::path path = info.at("path").get<std::string>();
  EXPECT_TRUE(path.is_absolute());
  EXPECT_EQ(path, fs::canonical(dir.path()));

  const auto type = info.at("filesystem").get<std::string>();
  EXPECT_FALSE(type.empty());
  if (const auto names = names_for_magic(dir.path()); !names.empty()) {
    EXPECT_TRUE(names.count(type)) << "mountinfo says " << type;
  }

  // The mount point is on the same filesystem as the directory (btrfs subvolumes excepted).
  struct stat dir_st {};
  struct stat mount_st {};
  ASSERT_EQ(::stat(path.c_str(), &dir_st), 0);
  ASSERT_EQ(::stat(info.at("mount_point").get<std::string>().c_str(), &mount_st), 0);
  if (type != "btrfs") {
    EXPECT_EQ(dir_st.st_dev, mount_st.st_dev);
  }

  const auto free_bytes = info.at("free_bytes").get<std::uint64_t>();
  const auto total_bytes = info.at("total_bytes").get<std::uint64_t>();
  EXPECT_GT(free_bytes, 0U);
  EXPECT_LE(free_bytes, total_bytes);

  for (const char* key : {"mount_options", "mount_source", "device", "model", "rotational",
                          "scheduler", "read_ahead_kb", "logical_block_size", "dio_alignment"})
    EXPECT_TRUE(info.contains(key)) << key;
  if (!info.at("device").is_null()) {
    const auto lbs = info.at("logical_block_size").get<std::uint64_t>();
    EXPECT_TRUE(power_of_two(lbs)) << lbs;
    EXPECT_TRUE(fs::exists(fs::path("/sys/block") / info.at("device").get<std::string>()));
  }
}

TEST(TargetInfo, SymlinkResolvesToTheSameTarget) {
  TempDir dir;
  fs::create_directory(dir.path() / "real");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "link");
  const auto via_link = target_info(dir.path() / "link");
  EXPECT_EQ(via_link.at("path").get<std::string>(), fs::canonical(dir.path() / "real").string());
  EXPECT_EQ(via_link.at("filesystem"), target_info(dir.path() / "real").at("filesystem"));
}

TEST(TargetInfo, TmpfsHasNoBlockDevice) {
  const fs::path shm = "/dev/shm";
  if (names_for_magic(shm) != std::set<std::string>{"tmpfs"})
    GTEST_SKIP() << "/dev/shm is not tmpfs here";
  const auto info = target_info(shm);
  EXPECT_EQ(info.at("filesystem"), "tmpfs");
  EXPECT_TRUE(info.at("device").is_null());
  EXPECT_TRUE(info.at("rotational").is_null());
}

TEST(TargetInfo, MissingPathThrows) {
  TempDir dir;
  try {
    (void)target_info(dir.path() / "missing");
    FAIL() << "no exception";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.err(), ENOENT);
  }
}

TEST(DioAlignment, FileAndNotYetExistingFile) {
  TempDir dir;
  const fs::path file = dir.path() / "data";
  std::ofstream(file) << "x";
  for (const fs::path& p : {file, dir.path() / "not_yet"}) {
    const auto dio = dio_alignment(p);
    if (!dio) continue;  // no block device and no statx answer (tmpfs)
    EXPECT_TRUE(power_of_two(dio->mem)) << p << " " << dio->mem;
    EXPECT_TRUE(power_of_two(dio->offset)) << p << " " << dio->offset;
    EXPECT_TRUE(dio->source == "statx" || dio->source == "logical_block_size") << dio->source;
  }
  // A path that does not exist yet is judged by its directory.
  const auto of_dir = dio_alignment(dir.path());
  const auto of_new = dio_alignment(dir.path() / "not_yet");
  ASSERT_EQ(of_dir.has_value(), of_new.has_value());
  if (of_dir) {
    EXPECT_EQ(of_dir->mem, of_new->mem);
    EXPECT_EQ(of_dir->offset, of_new->offset);
  }
  EXPECT_THROW((void)dio_alignment(dir.path() / "no_dir" / "file"), SystemError);
}

TEST(HostInfo, HasKernelAndCores) {
  const auto host = host_info();
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(host.at("kernel").get<std::string>(), u.release);
  EXPECT_GE(host.at("cores").get<std::int64_t>(), 1);
  EXPECT_GT(host.at("memory_bytes").get<std::uint64_t>(), 0U);
  for (const char* key : {"hostname", "os", "cpu_model"})
    EXPECT_FALSE(host.at(key).get<std::string>().empty()) << key;
}

}  // namespace
}  // namespace aistor
