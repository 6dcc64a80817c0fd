// Files aistor did not make are never replaced or followed, and two runs never share a data
// directory: `gen model --out` over a user's file, symlink or directory; `gen dataset --dir` on a
// file; a second run on a directory in use; a build without MPI started by mpirun.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/dir_lock.hpp"
#include "core/error.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

std::string gen_model(const fs::path& out, const std::string& extra = "") {
  return std::string(AISTOR_BINARY) + " gen model --size 4MiB --out " + out.string() + extra;
}

TEST(FilesNotOurs, GenModelRefusesAnExistingFileUnlessForced) {
  test::ScratchDir d;
  const auto out = d.path() / "notes.txt";
  { std::ofstream(out) << "my notes"; }
  auto r = test::run_command(gen_model(out));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("exists; give --force to replace it"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_file(out), "my notes");
  r = test::run_command(gen_model(out, " --force"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(test::read_file(out), "my notes");
  EXPECT_EQ(test::count_entries(d.path()), 1u);  // no temporary left
  EXPECT_NE(r.output.find("is met approximately"), std::string::npos) << r.output;
}

TEST(FilesNotOurs, GenModelNeverWritesThroughASymlinkOrOverADirectory) {
  test::ScratchDir d;
  const auto target = d.path() / "precious";
  { std::ofstream(target) << "keep"; }
  const auto link = d.path() / "m.safetensors";
  fs::create_symlink(target, link);
  for (const char* force : {"", " --force"}) {
    auto r = test::run_command(gen_model(link, force));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("a symbolic link"), std::string::npos) << r.output;
    EXPECT_EQ(test::read_file(target), "keep");
    EXPECT_TRUE(fs::is_symlink(link));
  }
  const auto dir = d.path() / "adir";
  fs::create_directory(dir);
  auto r = test::run_command(gen_model(dir, " --force"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("a directory"), std::string::npos) << r.output;
  EXPECT_EQ(test::count_entries(d.path()), 3u);  // precious, the link, the directory: no temporary
  EXPECT_EQ(test::count_entries(dir), 0u);
}

TEST(FilesNotOurs, GenDatasetOnARegularFileIsBadUsage) {
  test::ScratchDir d;
  const auto file = d.path() / "f";
  { std::ofstream(file) << "x"; }
  const auto r = test::run_command(std::string(AISTOR_BINARY) + " gen dataset --dir " +
                                   file.string() + " --samples 4 --files 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not a directory"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_file(file), "x");
}

TEST(FilesNotOurs, ADirectoryInUseIsRefusedNamingWhoHoldsIt) {
  test::ScratchDir d;
  const DirLock held(d.path());
  EXPECT_THROW(DirLock again(d.path()), InputError);
  const auto config = d.path() / "c.json";
  { std::ofstream(config) << R"({"phases": [{"workload": "raw", "size": "1MiB"}]})"; }
  const auto r =
      test::run_command(std::string(AISTOR_BINARY) + " run " + config.string() + " --dir " +
                        d.path().string() + " --output " + (d.path() / "r.json").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("in use by another aistor run (pid " + std::to_string(::getpid())),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(d.path() / "r.json"));
}

TEST(FilesNotOurs, ADirectoryIsFreeAgainWhenItsRunEnds) {
  test::ScratchDir d;
  { const DirLock first(d.path()); }
  EXPECT_NO_THROW(DirLock second(d.path()));
}

TEST(FilesNotOurs, TheMpirunLauncherIsRecognised) {
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("PMI_SIZE");
  ::unsetenv("PMIX_SIZE");
  ::unsetenv("MPI_LOCALNRANKS");
  EXPECT_EQ(mpi_launcher_environment(), "");
  ::setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  EXPECT_EQ(mpi_launcher_environment(), "");  // one rank is one run
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  EXPECT_EQ(mpi_launcher_environment(), "OMPI_COMM_WORLD_SIZE=2");
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::setenv("PMI_SIZE", "4", 1);
  EXPECT_EQ(mpi_launcher_environment(), "PMI_SIZE=4");
  ::unsetenv("PMI_SIZE");
}

}  // namespace
}  // namespace aistor
