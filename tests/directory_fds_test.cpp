// Opening relative to cached directory descriptors: the same files a plain open(2) gives, the same
// errors, across more directories than the cache holds.
#include "engines/directory_fds.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "core/unique_fd.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

std::string read_all(int fd) {
  std::string out(64, '\0');
  const ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

TEST(DirectoryFds, OpensTheFilesAPlainOpenWouldAcrossManyDirectories) {
  test::ScratchDir dir;
  constexpr int kDirs = 1100;  // more than the cache holds: it starts over, and still opens right
  for (int d = 0; d < kDirs; ++d) {
    const auto sub = dir.path() / fmt::format("d{:04}", d);
    std::filesystem::create_directory(sub);
    for (int f = 0; f < 2; ++f)
      std::ofstream(sub / fmt::format("f{}", f)) << fmt::format("dir {} file {}", d, f);
  }
  DirectoryFds fds;
  for (int round = 0; round < 2; ++round) {
    for (int d = 0; d < kDirs; d += (round == 0 ? 1 : 37)) {
      for (int f = 1; f >= 0; --f) {
        const UniqueFd fd(fds.open(dir.path() / fmt::format("d{:04}", d) / fmt::format("f{}", f),
                                   O_RDONLY | O_CLOEXEC));
        ASSERT_TRUE(fd) << d << " " << f;
        EXPECT_EQ(read_all(fd.get()), fmt::format("dir {} file {}", d, f));
      }
    }
  }
}

TEST(DirectoryFds, ErrorsAreThePlainOpensAndBareNamesWork) {
  test::ScratchDir dir;
  DirectoryFds fds;
  errno = 0;
  EXPECT_EQ(fds.open(dir.path() / "missing", O_RDONLY), -1);
  EXPECT_EQ(errno, ENOENT);
  errno = 0;
  EXPECT_EQ(fds.open(dir.path() / "no-such-dir" / "f", O_RDONLY), -1);
  EXPECT_EQ(errno, ENOENT);
  std::ofstream(dir.path() / "plain") << "x";
  errno = 0;
  EXPECT_EQ(fds.open(dir.path() / "plain" / "f", O_RDONLY), -1);  // a file is not a directory
  EXPECT_EQ(errno, ENOTDIR);
  // Relative to the working directory, as open(2) is.
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const UniqueFd bare(fds.open("plain", O_RDONLY | O_CLOEXEC));
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(bare);
  EXPECT_EQ(read_all(bare.get()), "x");
}

}  // namespace
}  // namespace aistor
