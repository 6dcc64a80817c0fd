#include "core/page_cache.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kMiB = 1024 * 1024;

using TempDir = test::ScratchDir;

fs::path write_file(const fs::path& path, std::uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_errno("open", path.string());
  std::vector<char> chunk(kMiB);
  for (std::size_t i = 0; i < chunk.size(); ++i)
    chunk[i] = static_cast<char>(i * 31 + 7);
  for (std::uint64_t done = 0; done < size;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kMiB, size - done));
    const ssize_t n = ::write(fd.get(), chunk.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("write", path.string());
    done += static_cast<std::uint64_t>(n);
  }
  if (::fsync(fd.get()) != 0) throw_errno("fsync", path.string());
  return path;
}

bool on_tmpfs(const fs::path& path) {
  struct statfs sf {};
  return ::statfs(path.c_str(), &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

class PageCacheTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(PageCacheTest, WarmCachesAllThenDropEvicts) {
  const fs::path file = write_file(dir_.path() / "data", 16 * kMiB);
  drop_from_cache(file);
  warm(file);
  const Residency warmed = residency(file);
  EXPECT_EQ(warmed.total_bytes, 16 * kMiB);
  EXPECT_EQ(warmed.resident_bytes, 16 * kMiB);
  EXPECT_EQ(warmed.fraction(), 1.0);

  if (on_tmpfs(dir_.path())) GTEST_SKIP() << "tmpfs keeps its pages: nothing to evict to";
  drop_from_cache(file);
  const Residency dropped = residency(file);
  EXPECT_EQ(dropped.total_bytes, 16 * kMiB);
  EXPECT_LT(dropped.fraction(), 0.5);
}

TEST_F(PageCacheTest, LastPageCountsOnlyItsRealLength) {
  const fs::path file = write_file(dir_.path() / "odd", 10'000);
  warm(file);
  const Residency r = residency(file);
  EXPECT_EQ(r.total_bytes, 10'000U);
  EXPECT_EQ(r.resident_bytes, 10'000U);
}

TEST_F(PageCacheTest, EmptyFile) {
  const fs::path file = write_file(dir_.path() / "empty", 0);
  warm(file);
  drop_from_cache(file);
  const Residency r = residency(file);
  EXPECT_EQ(r.total_bytes, 0U);
  EXPECT_EQ(r.resident_bytes, 0U);
  EXPECT_EQ(r.fraction(), 1.0);
}

TEST_F(PageCacheTest, ResidencyOfSeveralFilesIsTheSum) {
  const std::vector<fs::path> files = {write_file(dir_.path() / "a", 3 * kMiB),
                                       write_file(dir_.path() / "b", 0),
                                       write_file(dir_.path() / "c", 5000)};
  for (const auto& f : files)
    warm(f);
  const Residency sum = residency(files);
  EXPECT_EQ(sum.total_bytes, 3 * kMiB + 5000);
  EXPECT_EQ(sum.resident_bytes, 3 * kMiB + 5000);
}

// A directory stands for every file under it, subdirectories included.
TEST_F(PageCacheTest, ADirectoryMeansEveryFileUnderIt) {
  const fs::path tree = dir_.path() / "tree";
  fs::create_directories(tree / "x" / "y");
  write_file(tree / "a", 2 * kMiB);
  write_file(tree / "x" / "b", 5000);
  write_file(tree / "x" / "y" / "c", kMiB);
  warm(tree);
  const Residency warmed = residency(tree);
  EXPECT_EQ(warmed.total_bytes, 3 * kMiB + 5000);
  EXPECT_EQ(warmed.resident_bytes, 3 * kMiB + 5000);
  if (on_tmpfs(dir_.path())) GTEST_SKIP() << "tmpfs keeps its pages: nothing to evict to";
  drop_from_cache(tree);
  EXPECT_LT(residency(tree).fraction(), 0.5);
  EXPECT_LT(residency(tree / "x" / "y" / "c").fraction(), 0.5);
}

TEST_F(PageCacheTest, MissingFileThrowsWithCallAndPath) {
  const fs::path missing = dir_.path() / "missing";
  try {
    (void)residency(missing);
    FAIL() << "no exception";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.err(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("open " + missing.string()), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(warm(missing), SystemError);
  EXPECT_THROW(drop_from_cache(missing), SystemError);
}

TEST_F(PageCacheTest, ProcSelfIoCountsReads) {
  const fs::path file = write_file(dir_.path() / "data", 16 * kMiB);
  const auto before = proc_self_io();
  if (!before) GTEST_SKIP() << "/proc/self/io is unreadable (no task I/O accounting)";
  drop_from_cache(file);
  warm(file);
  const auto after = proc_self_io();
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(after->read_bytes, before->read_bytes);
  EXPECT_GE(after->rchar - before->rchar, 16 * kMiB);
  EXPECT_GE(after->wchar, before->wchar);
  EXPECT_GE(after->write_bytes, before->write_bytes);
}

TEST(DropAllCaches, ReportsWhyWhenItCannot) {
  // Drops the whole machine's cache: opt-in, so it never disturbs benchmarks running beside us.
  if (std::getenv("AISTOR_TEST_DROP_CACHES") == nullptr)
    GTEST_SKIP() << "set AISTOR_TEST_DROP_CACHES=1 to drop the machine's page cache";
  std::string why;
  if (!drop_all_caches(&why)) {
    EXPECT_FALSE(why.empty());
  }
}

}  // namespace
}  // namespace aistor
