#include "core/disk_stats.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

// A fixture /sys: device directories with `stat` files, dev/block/MAJ:MIN links to one of them
// (the scratch directory's own st_dev, so find_disks resolves it), slaves/ links for dm and md.
class FakeSys {
 public:
  explicit FakeSys(const fs::path& root) : root_(root / "sys") {
    fs::create_directories(root_ / "dev" / "block");
  }
  fs::path device(const std::string& rel, std::uint64_t read_sectors = 0) {
    const fs::path d = root_ / "devices" / rel;
    fs::create_directories(d);
    test::write_text(d / "stat",
                     fmt::format("    1 0 {} 4 2 0 16 8 0 30 40 0 0 0 0 0 0\n", read_sectors));
    return d;
  }
  void slave(const fs::path& holder, const fs::path& member) {
    fs::create_directories(holder / "slaves");
    fs::create_symlink(member, holder / "slaves" / member.filename());
  }
  void mounted(const fs::path& target, const fs::path& device) {
    struct stat st {};
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    fs::create_directory_symlink(
        device, root_ / "dev" / "block" / fmt::format("{}:{}", major(st.st_dev), minor(st.st_dev)));
  }
  [[nodiscard]] const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

// mountinfo naming the scratch directory's filesystem.
fs::path mountinfo(const fs::path& dir, const std::string& fs_type, const std::string& source) {
  struct stat st {};
  EXPECT_EQ(::stat(dir.c_str(), &st), 0);
  const fs::path p = dir / "mountinfo";
  test::write_text(p, fmt::format("22 1 {}:{} / / rw,relatime shared:1 - {} {} rw\n",
                                  major(st.st_dev), minor(st.st_dev), fs_type, source));
  return p;
}

std::vector<std::string> names(const DiskSet& s) {
  std::vector<std::string> out;
  for (const auto& d : s.disks)
    out.push_back(d.name + (d.member ? "*" : ""));
  return out;
}

TEST(DiskStats, APlainDiskAndAPartitionAreTheirOwnCounters) {
  test::ScratchDir dir;
  FakeSys sys(dir.path());
  const auto sda = sys.device("pci0000:00/0000:00:1f.2/block/sda", 2048);
  sys.mounted(dir.path(), sda);
  const auto info = mountinfo(dir.path(), "ext4", "/dev/sda");
  auto set = find_disks(dir.path(), sys.root(), info);
  EXPECT_EQ(names(set), std::vector<std::string>{"sda"});
  EXPECT_EQ(set.fs_type, "ext4");
  EXPECT_EQ(set.why, "");
  const auto c = read_counters(set);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].read_bytes, 2048u * 512);
  EXPECT_EQ(c[0].write_bytes, 16u * 512);
  EXPECT_EQ(c[0].busy_ms, 30u);
  EXPECT_EQ(c[0].queue_ms, 40u);

  test::ScratchDir dir2;
  FakeSys sys2(dir2.path());
  const auto part = sys2.device("pci0000:00/block/nvme0n1/nvme0n1p2", 8);
  test::write_text(part / "partition", "2\n");
  sys2.mounted(dir2.path(), part);
  set = find_disks(dir2.path(), sys2.root(), mountinfo(dir2.path(), "xfs", "/dev/nvme0n1p2"));
  EXPECT_EQ(names(set), std::vector<std::string>{"nvme0n1p2"});
}

TEST(DiskStats, DmAndMdAreFollowedToTheirMemberDevices) {
  test::ScratchDir dir;
  FakeSys sys(dir.path());
  // dm-0 (LVM) over md0 (RAID0 of sdc and sdd) and a partition sda2.
  const auto sdc = sys.device("pci/block/sdc");
  const auto sdd = sys.device("pci/block/sdd");
  const auto sda2 = sys.device("pci/block/sda/sda2");
  const auto md0 = sys.device("virtual/block/md0");
  sys.slave(md0, sdd);
  sys.slave(md0, sdc);
  const auto dm0 = sys.device("virtual/block/dm-0");
  sys.slave(dm0, md0);
  sys.slave(dm0, sda2);
  sys.mounted(dir.path(), dm0);
  const auto set =
      find_disks(dir.path(), sys.root(), mountinfo(dir.path(), "ext4", "/dev/mapper/vg-lv"));
  EXPECT_EQ(names(set), (std::vector<std::string>{"dm-0", "sda2*", "sdc*", "sdd*"}));
  EXPECT_EQ(read_counters(set).size(), 4u);
}

TEST(DiskStats, AFilesystemWithoutABlockDeviceSaysWhatItIs) {
  test::ScratchDir dir;
  FakeSys sys(dir.path());
  const auto set = find_disks(dir.path(), sys.root(), mountinfo(dir.path(), "tmpfs", "tmpfs"));
  EXPECT_TRUE(set.disks.empty());
  EXPECT_EQ(set.fs_type, "tmpfs");
  EXPECT_EQ(set.why, "tmpfs: no block device");
}

TEST(DiskStats, ABlockDeviceTargetIsItsOwnDiskNotTheFilesystemOfDev) {
  test::ScratchDir dir;
  FakeSys sys(dir.path());
  const fs::path node = dir.path() / "fake-disk";
  if (::mknod(node.c_str(), S_IFBLK | 0600, makedev(259, 77)) != 0)
    GTEST_SKIP() << "mknod needs root";
  const auto nvme = sys.device("pci/nvme/nvme1n1", 64);
  fs::create_directory_symlink(nvme, sys.root() / "dev" / "block" / "259:77");
  const auto set = find_disks(node, sys.root(), mountinfo(dir.path(), "ext4", "/dev/sda"));
  EXPECT_EQ(set.fs_type, "block device");
  ASSERT_EQ(set.disks.size(), 1u);
  EXPECT_EQ(set.disks[0].name, "nvme1n1");
  EXPECT_EQ(read_counters(set)[0].read_bytes, 64u * 512);
  const auto gone = find_disks(node, dir.path() / "empty-sys", mountinfo(dir.path(), "x", "y"));
  EXPECT_TRUE(gone.disks.empty());
  EXPECT_NE(gone.why.find("block device: no counters under"), std::string::npos) << gone.why;
}

TEST(DiskStats, StatTextParsedExactlyAndDamageNamed) {
  // A kernel 5.x line: 17 fields.
  const auto c = parse_disk_stat(
      "  183093     5811 19232142    72421    51090    43349  4376424   114052        0   "
      "107840   188094        0        0        0        0     3395     1620\n",
      "vda/stat");
  EXPECT_EQ(c.read_ios, 183093u);
  EXPECT_EQ(c.read_bytes, 19232142ull * 512);
  EXPECT_EQ(c.write_ios, 51090u);
  EXPECT_EQ(c.write_bytes, 4376424ull * 512);
  EXPECT_EQ(c.busy_ms, 107840u);
  EXPECT_EQ(c.queue_ms, 188094u);
  const DiskCounters later{10, 5000, 3, 100, 50, 60};
  const DiskCounters d = later.since({4, 1000, 3, 200, 20, 10});
  EXPECT_EQ(d.read_ios, 6u);
  EXPECT_EQ(d.read_bytes, 4000u);
  EXPECT_EQ(d.write_bytes, 0u);  // a counter that went back (a device reset) is no negative
  EXPECT_EQ(d.busy_ms, 30u);
  EXPECT_EQ(test::error_of([] { (void)parse_disk_stat("1 2 3\n", "sda/stat"); }),
            "sda/stat: 3 fields, a block device's stat has at least 11");
  EXPECT_EQ(test::error_of([] { (void)parse_disk_stat("1 2 x 4 5 6 7 8 9 10 11", "sda/stat"); }),
            "sda/stat: field 3 'x' is not a whole number");
}

}  // namespace
}  // namespace aistor
