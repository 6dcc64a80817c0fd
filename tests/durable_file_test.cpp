// core/durable_file: the one way aistor makes a file durable.
#include "core/durable_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_support.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

TEST(DurableFile, WritesTheWholeTextAndLeavesNoTemporary) {
  test::ScratchDir d;
  const auto target = d.path() / "manifest.json";
  write_file_durably(target, std::string_view("{\"a\": 1}\n"));
  EXPECT_EQ(test::read_file(target), "{\"a\": 1}\n");
  EXPECT_EQ(test::count_entries(d.path()), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(DurableFile, ReplacesAnOlderVersionWhole) {
  test::ScratchDir d;
  const auto target = d.path() / "list.json";
  write_file_durably(target, std::string_view("a much longer first version\n"));
  write_file_durably(target, std::string_view("v2\n"));
  EXPECT_EQ(test::read_file(target), "v2\n");
  EXPECT_EQ(test::count_entries(d.path()), 1u);
}

TEST(DurableFile, AFailedWriteLeavesTheTargetAndNoTemporary) {
  test::ScratchDir d;
  const auto target = d.path() / "report.json";
  write_file_durably(target, std::string_view("old\n"));
  // The rename cannot replace a directory: the failure comes after the temporary is written.
  const auto dir_target = d.path() / "a-directory";
  fs::create_directory(dir_target);
  fs::create_directory(dir_target / "inside");
  EXPECT_THROW(write_file_durably(dir_target, std::string_view("x")), SystemError);
  EXPECT_TRUE(fs::is_directory(dir_target / "inside"));
  EXPECT_EQ(test::read_file(target), "old\n");
  EXPECT_EQ(test::count_entries(d.path()), 2u);  // report.json and the directory: no temporary
}

TEST(DurableFile, AMissingDirectoryIsAnErrorNamingThePath) {
  test::ScratchDir d;
  const auto target = d.path() / "no-such-dir" / "x.json";
  try {
    write_file_durably(target, std::string_view("x"));
    FAIL() << "no error";
  } catch (const SystemError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos) << e.what();
  }
}

TEST(DurableFile, TheTemporaryDoesNotFollowASymlink) {
  test::ScratchDir d;
  const auto target = d.path() / "t.json";
  const auto victim = d.path() / "victim";
  { std::ofstream(victim) << "keep me"; }
  fs::create_symlink(victim, temporary_for(target));
  EXPECT_THROW(write_file_durably(target, std::string_view("x")), SystemError);
  EXPECT_EQ(test::read_file(victim), "keep me");
  EXPECT_FALSE(fs::exists(target));
}

TEST(DurableTemporary, RemovesItsTemporaryUnlessCommitted) {
  test::ScratchDir d;
  const auto target = d.path() / "shard";
  {
    DurableTemporary tmp(target);
    std::ofstream(tmp.temporary()) << "half";
    EXPECT_TRUE(fs::exists(tmp.temporary()));
  }
  EXPECT_EQ(test::count_entries(d.path()), 0u);
  {
    DurableTemporary tmp(target, d.path() / "shard.tmp");
    std::ofstream(tmp.temporary()) << "whole";
    tmp.commit();
  }
  EXPECT_EQ(test::read_file(target), "whole");
  EXPECT_EQ(test::count_entries(d.path()), 1u);
}

TEST(DurableTemporary, TheTemporaryNameIsThisProcesssOwn) {
  EXPECT_EQ(temporary_for("/d/x.json").string(), "/d/x.json.tmp." + std::to_string(::getpid()));
}

}  // namespace
}  // namespace aistor
