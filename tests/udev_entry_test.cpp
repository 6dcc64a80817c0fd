// The gds engine's hint for a machine without udev's entry for a file's block device: the entry's
// path while it is missing, nothing once it exists. Plain C++ (cuda/udev_entry), no GPU needed.
#ifdef AISTOR_HAVE_CUDA
#include "cuda/udev_entry.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/test_support.hpp"

namespace aistor {
namespace {

TEST(UdevEntry, NamesTheMissingEntryOfTheFilesBlockDeviceUntilItExists) {
  test::ScratchDir dir;
  const auto file = test::write_pattern_file(dir.path() / "f", 4096);
  const auto udev = dir.path() / "udev-data";
  std::filesystem::create_directories(udev);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  const auto entry = udev / fmt::format("b{}:{}", major(st.st_dev), minor(st.st_dev));
  EXPECT_EQ(cuda::missing_udev_entry(file, udev), entry.string());
  std::ofstream(entry) << "E:ID_FS_USAGE=filesystem\n";
  EXPECT_EQ(cuda::missing_udev_entry(file, udev), "");
  // A file that is not there says nothing (its own open fails first, with its own error).
  EXPECT_EQ(cuda::missing_udev_entry(dir.path() / "missing", udev), "");
}

}  // namespace
}  // namespace aistor
#endif
