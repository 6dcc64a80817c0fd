// The io_uring engine's behaviour that does not depend on its options (those are
// io_uring_engine_test.cpp's feature bits).
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "engines/io_uring_engine.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

constexpr std::uint32_t kSmall = 4 << 10;

std::byte pattern(std::uint64_t pos) {
  return static_cast<std::byte>(static_cast<unsigned char>((pos * 31) ^ (pos >> 9) ^ (pos >> 17)));
}

using TempDir = test::ScratchDir;

// Tests of behaviour that does not depend on the options.
class IoUringEngineBasics : public ::testing::Test {
 protected:
  void SetUp() override {
    Availability a = io_uring_engine_info().probe(dir_.path());
    if (!a.available) GTEST_SKIP() << a.reason;
    path_ = dir_.path() / "small";
    int fd = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    std::vector<std::byte> data(64 * kSmall);
    for (std::size_t i = 0; i < data.size(); ++i)
      data[i] = pattern(i);
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::close(fd);
    config_.name = "io_uring";
    config_.queue_depth = 16;
  }

  TempDir dir_;
  std::filesystem::path path_;
  EngineConfig config_;
};

TEST_F(IoUringEngineBasics, InfoDescribesTheEngine) {
  EngineInfo info = io_uring_engine_info();
  EXPECT_EQ(info.name, "io_uring");
  EXPECT_FALSE(info.synchronous);
  EXPECT_EQ(info.options, (std::vector<std::string>{"queue_depth", "direct", "sqpoll",
                                                    "fixed_buffers", "registered_files",
                                                    "submit_batch", "fadvise", "huge_pages"}));
  EXPECT_EQ(info.probe(dir_.path()).reason, "");
  auto engine = info.make(config_);
  EXPECT_EQ(engine->max_in_flight(), 16U);
  const nlohmann::json d = engine->describe();
  EXPECT_EQ(d["queue_depth"], 16);
  EXPECT_GE(d["ring_entries"].get<unsigned>(), 16U);
  EXPECT_TRUE(d.contains("notes"));
}

TEST_F(IoUringEngineBasics, ReapReturnsNoMoreThanOutAndKeepsTheRest) {
  IoUringEngine engine(config_);
  FileId file = engine.open(path_, Access::read);
  Buffer memory = engine.allocate(16 * kSmall);
  std::vector<IoRequest> requests;
  for (std::uint64_t i = 0; i < 16; ++i) {
    requests.push_back({Op::read, file, i * kSmall, kSmall, memory.data() + i * kSmall, 100 + i});
  }
  engine.submit(requests);
  std::vector<IoResult> out(16);
  std::size_t first = engine.reap(std::span(out).first(4), 16);
  EXPECT_EQ(first, 4U);
  std::size_t rest = engine.reap(out, 12);
  EXPECT_EQ(rest, 12U);
  EXPECT_EQ(engine.reap(out, 5), 0U) << "nothing is outstanding, so reap must not wait";
  for (std::size_t i = 0; i < 16 * kSmall; ++i)
    ASSERT_EQ(memory.data()[i], pattern(i));
}

TEST_F(IoUringEngineBasics, ErrorsOfOneIoAreResults) {
  IoUringEngine engine(config_);
  FileId file = engine.open(path_, Access::read);
  Buffer memory = engine.allocate(kSmall);
  std::vector<IoRequest> write{{Op::write, file, 0, kSmall, memory.data(), 7}};
  engine.submit(write);
  std::vector<IoResult> out(1);
  ASSERT_EQ(engine.reap(out, 1), 1U);
  EXPECT_EQ(out[0].tag, 7U);
  EXPECT_EQ(out[0].res, -EBADF);
}

TEST_F(IoUringEngineBasics, MisuseThrows) {
  IoUringEngine engine(config_);
  EXPECT_THROW((void)engine.open(dir_.path() / "missing", Access::read), SystemError);
  try {
    (void)engine.open(dir_.path() / "missing", Access::read);
  } catch (const SystemError& e) {
    EXPECT_EQ(e.err(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  FileId file = engine.open(path_, Access::read);
  Buffer memory = engine.allocate(17 * kSmall);
  std::vector<IoRequest> too_many;
  for (std::uint64_t i = 0; i < 17; ++i) {
    too_many.push_back({Op::read, file, 0, kSmall, memory.data() + i * kSmall, i});
  }
  EXPECT_THROW(engine.submit(too_many), std::length_error);
  std::vector<IoRequest> bad_file{{Op::read, file + 5, 0, kSmall, memory.data(), 0}};
  EXPECT_THROW(engine.submit(bad_file), std::invalid_argument);

  std::vector<IoRequest> one{{Op::read, file, 0, kSmall, memory.data(), 0}};
  engine.submit(one);
  EXPECT_THROW(engine.close(file), std::logic_error);
  std::vector<IoResult> out(1);
  ASSERT_EQ(engine.reap(out, 1), 1U);
  EXPECT_EQ(out[0].res, kSmall);
  engine.close(file);
  EXPECT_THROW(engine.close(file), std::invalid_argument);
}

TEST_F(IoUringEngineBasics, FileIdsAreReusedAfterClose) {
  IoUringEngine engine(config_);
  FileId a = engine.open(path_, Access::read);
  FileId b = engine.open(path_, Access::read_write);
  EXPECT_NE(a, b);
  engine.close(a);
  FileId c = engine.open(path_, Access::read);
  EXPECT_EQ(c, a);
  Buffer memory = engine.allocate(kSmall);
  std::vector<IoRequest> read{{Op::read, c, kSmall, kSmall, memory.data(), 3}};
  engine.submit(read);
  std::vector<IoResult> out(2);
  ASSERT_EQ(engine.reap(out, 1), 1U);
  EXPECT_EQ(out[0].res, kSmall);
  EXPECT_EQ(memory.data()[0], pattern(kSmall));
}

}  // namespace
}  // namespace aistor
