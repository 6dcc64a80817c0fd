#include "engines/io_uring_engine.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

constexpr std::uint64_t kFileSize = 4 << 20;
constexpr std::uint32_t kBig = 128 << 10;
constexpr std::uint32_t kSmall = 4 << 10;

// Differs between neighbouring bytes and between 4 KiB pages, so a misplaced block shows.
std::byte pattern(std::uint64_t pos) {
  return static_cast<std::byte>(static_cast<unsigned char>((pos * 31) ^ (pos >> 9) ^ (pos >> 17)));
}

using TempDir = test::ScratchDir;

void create_empty(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open", path.string());
  ::close(fd);
}

// Runs `requests` keeping one request per buffer of `bufs` in flight; `before` fills a write's
// buffer, `after` checks each result. Asserts each tag completes exactly once.
void run(Engine& engine, const std::vector<IoRequest>& requests,
         const std::vector<std::byte*>& bufs, const std::function<void(const IoRequest&)>& before,
         const std::function<void(const IoRequest&, std::int64_t)>& after) {
  std::vector<std::byte*> free_bufs(bufs.rbegin(), bufs.rend());
  std::map<std::uint64_t, IoRequest> in_flight;
  std::vector<IoResult> out(bufs.size());
  std::size_t next = 0;
  std::size_t completed = 0;
  const std::uint64_t start_ns = now_ns();
  while (completed < requests.size()) {
    std::vector<IoRequest> batch;
    while (next < requests.size() && !free_bufs.empty()) {
      IoRequest r = requests[next];
      r.tag = next++;
      r.buf = free_bufs.back();
      free_bufs.pop_back();
      before(r);
      batch.push_back(r);
      in_flight[r.tag] = r;
    }
    engine.submit(batch);
    const std::size_t n = engine.reap(out, 1);
    ASSERT_GE(n, 1U);
    ASSERT_LE(n, out.size());
    for (std::size_t i = 0; i < n; ++i) {
      auto it = in_flight.find(out[i].tag);
      ASSERT_NE(it, in_flight.end()) << "tag " << out[i].tag << " unknown or completed twice";
      EXPECT_GE(out[i].done_ns, start_ns);
      EXPECT_LE(out[i].done_ns, now_ns());
      after(it->second, out[i].res);
      free_bufs.push_back(it->second.buf);
      in_flight.erase(it);
      ++completed;
    }
  }
  EXPECT_EQ(completed, requests.size());
  EXPECT_EQ(engine.reap(out, out.size()), 0U) << "a completion beyond the requests";
}

// The options under test as feature bits, after liburing's test/read-write.c: a counter over
// the bits gives every combination, so none is left out by hand-picking.
enum Feature : unsigned {
  kDirect = 1U << 0,
  kFixedBuffers = 1U << 1,
  kRegisteredFiles = 1U << 2,
  kSqpoll = 1U << 3,
};
constexpr unsigned kFeatureBits = 4;
constexpr std::pair<unsigned, const char*> kFeatureNames[] = {
    {kDirect, "direct"},
    {kFixedBuffers, "fixed_buffers"},
    {kRegisteredFiles, "registered_files"},
    {kSqpoll, "sqpoll"},
};

struct Variant {
  unsigned bits = 0;
  // Options that are not feature bits; the counter's combinations use the values below and
  // explicit extra cases cover the others.
  unsigned submit_batch = 0;
  bool huge_pages = false;

  [[nodiscard]] bool has(Feature f) const { return (bits & f) != 0; }
  [[nodiscard]] EngineConfig config(unsigned queue_depth) const {
    EngineConfig config;
    config.name = "io_uring";
    config.queue_depth = queue_depth;
    config.direct = has(kDirect);
    config.fixed_buffers = has(kFixedBuffers);
    config.registered_files = has(kRegisteredFiles);
    config.sqpoll = has(kSqpoll);
    config.submit_batch = submit_batch;
    config.huge_pages = huge_pages;
    return config;
  }
};

// "plain" for no bit, else the set bits joined by '_' ("direct_fixed_buffers_sqpoll"), then
// any option that differs from the counter's values.
std::string name_of(const Variant& v) {
  std::string name;
  for (const auto& [bit, text] : kFeatureNames) {
    if ((v.bits & bit) == 0) continue;
    if (!name.empty()) name += '_';
    name += text;
  }
  if (name.empty()) name = "plain";
  if (v.submit_batch != 0) name += "_submit_batch_" + std::to_string(v.submit_batch);
  if (v.huge_pages) name += "_huge_pages";
  return name;
}

// So that gtest names the combination in messages instead of dumping its bytes.
void PrintTo(const Variant& v, std::ostream* os) {
  *os << name_of(v);
}

std::vector<Variant> all_variants() {
  std::vector<Variant> all;
  for (unsigned bits = 0; bits < (1U << kFeatureBits); ++bits)
    all.push_back({bits, 0, false});
  // Beyond the bits. submit_batch 3 with fixed buffers and files: flushes in the middle of a
  // batch, as the hand-picked list had it. submit_batch 1 (the engine's default, a flush per
  // request) with every feature, SQPOLL's early flush return included. Huge-page buffers (2 MiB
  // mappings of their own) registered as fixed buffers under O_DIRECT.
  all.push_back({kFixedBuffers | kRegisteredFiles, 3, false});
  all.push_back({kDirect | kFixedBuffers | kRegisteredFiles | kSqpoll, 1, false});
  all.push_back({kDirect | kFixedBuffers, 0, true});
  return all;
}

// 0 when the kernel sets up a ring with IORING_SETUP_SQPOLL, else its errno.
int sqpoll_refused(unsigned entries) {
  io_uring ring{};
  io_uring_params params{};
  params.flags = IORING_SETUP_SQPOLL;
  params.sq_thread_idle = 10;
  if (int ret = io_uring_queue_init_params(entries, &ring, &params); ret < 0) return -ret;
  io_uring_queue_exit(&ring);
  return 0;
}

// Writes the pattern over [0, size) of `path` with plain write(2), not through an engine.
void write_plainly(const std::filesystem::path& path, std::uint64_t size) {
  std::vector<std::byte> data(size);
  for (std::uint64_t i = 0; i < size; ++i)
    data[i] = pattern(i);
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open", path.string());
  const ssize_t n = ::write(fd, data.data(), data.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(size)) throw_system(n < 0 ? err : EIO, "write", path.string());
}

// Counts the bytes of `path` that differ from the pattern, read with plain pread(2).
std::uint64_t bytes_off_pattern(const std::filesystem::path& path, std::uint64_t size) {
  std::vector<std::byte> data(size);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open", path.string());
  const ssize_t n = ::pread(fd, data.data(), data.size(), 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(size)) return size;
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 0; i < size; ++i) {
    if (data[i] != pattern(i)) ++wrong;
  }
  return wrong;
}

class IoUringEngineTest : public ::testing::TestWithParam<Variant> {
 protected:
  // Skips (with the reason) when the environment refuses the combination: no io_uring, the
  // kernel refuses SQPOLL, the filesystem refuses O_DIRECT. Any other error fails the test.
  void SetUp() override {
    Availability a = io_uring_engine_info().probe(dir_.path());
    if (!a.available) GTEST_SKIP() << a.reason;
    path_ = dir_.path() / "data";
    create_empty(path_);
    try {
      auto engine = make(8);
      FileId file = engine->open(path_, Access::read_write);
      engine->close(file);
    } catch (const SystemError& e) {
      const std::string why = refusal(e);
      if (why.empty()) FAIL() << "not a refusal by the environment: " << e.what();
      GTEST_SKIP() << why;
    }
  }

  // Why `e` (thrown making the engine or opening a file) is the environment refusing an option,
  // checked without the engine; empty when it is not.
  [[nodiscard]] std::string refusal(const SystemError& e) const {
    const Variant& v = GetParam();
    const std::string what = e.what();
    if (v.has(kSqpoll) && what.find("IORING_SETUP_SQPOLL") != std::string::npos) {
      if (int err = sqpoll_refused(8); err != 0) {
        return "the kernel refuses SQPOLL (" + std::string(std::strerror(err)) + "): " + what;
      }
    }
    if (v.has(kDirect) && e.err() == EINVAL) {
      int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
      if (fd >= 0) {
        ::close(fd);
      } else if (errno == EINVAL) {
        return "the filesystem of " + dir_.path().string() + " refuses O_DIRECT: " + what;
      }
    }
    return {};
  }

  // SetUp has made one with these options, so this one must succeed.
  std::unique_ptr<Engine> make(unsigned queue_depth) {
    return io_uring_engine_info().make(GetParam().config(queue_depth));
  }

  // Checks describe() against the options. The kernel may refuse registration (RLIMIT_MEMLOCK),
  // then the engine must say why; the combination then did not run as named, which fallbacks_
  // collects for skip_if_fell_back().
  void expect_effective(const Engine& engine) {
    const Variant& v = GetParam();
    const nlohmann::json d = engine.describe();
    EXPECT_EQ(d["name"], "io_uring");
    EXPECT_EQ(d["direct"], v.has(kDirect));
    EXPECT_EQ(d["sqpoll"], v.has(kSqpoll));
    EXPECT_EQ(d["submit_batch"], v.submit_batch);
    EXPECT_EQ(d["huge_pages"], v.huge_pages);
    if (d["fixed_buffers"] != v.has(kFixedBuffers) ||
        d["registered_files"] != v.has(kRegisteredFiles)) {
      EXPECT_FALSE(d["notes"].empty()) << d.dump();
      if (!fallbacks_.empty()) fallbacks_ += "; ";
      fallbacks_ += d["notes"].dump();
    }
    EXPECT_LE(d["fixed_buffers"].get<bool>(), v.has(kFixedBuffers));
    EXPECT_LE(d["registered_files"].get<bool>(), v.has(kRegisteredFiles));
  }

  // After the bytes were checked (through the fallback): a skip, unless something failed.
  void skip_if_fell_back() {
    if (!fallbacks_.empty()) {
      GTEST_SKIP() << "the kernel refused registration, so the engine fell back: " << fallbacks_;
    }
  }

  // Writes the pattern over the whole file with 128 KiB requests at queue depth 8, each slot with
  // its own allocation (several registered regions).
  void write_pattern(Engine& engine, FileId file) {
    std::vector<Buffer> buffers;
    std::vector<std::byte*> bufs;
    for (unsigned i = 0; i < 8; ++i) {
      buffers.push_back(engine.allocate(kBig));
      ASSERT_EQ(reinterpret_cast<std::uintptr_t>(buffers.back().data()) % 4096, 0U);
      bufs.push_back(buffers.back().data());
    }
    std::vector<IoRequest> requests;
    for (std::uint64_t off = 0; off < kFileSize; off += kBig) {
      requests.push_back({Op::write, file, off, kBig, nullptr, 0});
    }
    run(
        engine, requests, bufs,
        [](const IoRequest& r) {
          for (std::uint32_t i = 0; i < r.length; ++i)
            r.buf[i] = pattern(r.offset + i);
        },
        [](const IoRequest& r, std::int64_t res) {
          EXPECT_EQ(res, r.length) << "write at " << r.offset;
        });
    engine.sync(file);
    EXPECT_EQ(std::filesystem::file_size(path_), kFileSize);
  }

  // Random reads of `length` at queue depth 16 out of one allocation sliced in 16.
  void read_random(Engine& engine, FileId file, std::uint32_t length, std::uint64_t align,
                   std::size_t count) {
    Buffer memory = engine.allocate(16 * std::size_t{length});
    std::vector<std::byte*> bufs;
    for (std::size_t i = 0; i < 16; ++i)
      bufs.push_back(memory.data() + i * length);
    std::mt19937_64 rng(length + count);
    std::uniform_int_distribution<std::uint64_t> pick(0, (kFileSize - length) / align);
    std::vector<IoRequest> requests;
    for (std::size_t i = 0; i < count; ++i) {
      requests.push_back({Op::read, file, pick(rng) * align, length, nullptr, 0});
    }
    std::size_t wrong = 0;
    run(
        engine, requests, bufs, [](const IoRequest& r) { std::memset(r.buf, 0xEE, r.length); },
        [&](const IoRequest& r, std::int64_t res) {
          EXPECT_EQ(res, r.length) << "read at " << r.offset;
          for (std::uint32_t i = 0; i < r.length; ++i) {
            if (r.buf[i] != pattern(r.offset + i)) ++wrong;
          }
        });
    EXPECT_EQ(wrong, 0U) << "bytes differing from the pattern, length " << length;
  }

  TempDir dir_;
  std::filesystem::path path_;
  std::string fallbacks_;
};

// The write path, checked with plain pread, then the read path over what it wrote.
TEST_P(IoUringEngineTest, WritesThenReadsEveryByteBack) {
  const Variant& v = GetParam();
  {
    auto writer = make(8);
    EXPECT_EQ(writer->max_in_flight(), 8U);
    FileId file = writer->open(path_, Access::write);
    write_pattern(*writer, file);
    expect_effective(*writer);
    writer->close(file);
  }
  EXPECT_EQ(bytes_off_pattern(path_, kFileSize), 0U) << "bytes written wrong";
  auto reader = make(16);
  EXPECT_EQ(reader->max_in_flight(), 16U);
  FileId file = reader->open(path_, Access::read);
  read_random(*reader, file, kBig, 4096, 96);
  // Buffered reads need no alignment; O_DIRECT ones do.
  read_random(*reader, file, kSmall, v.has(kDirect) ? 4096 : 1, 1024);
  expect_effective(*reader);
  reader->close(file);
  skip_if_fell_back();
}

// The read path alone, over a file written without the engine: reads that end past the end of
// the file are short, by exactly the right count.
TEST_P(IoUringEngineTest, ReadPastEndOfFileIsShort) {
  write_plainly(path_, kFileSize);
  auto reader = make(4);
  FileId file = reader->open(path_, Access::read);
  Buffer a = reader->allocate(kBig);
  Buffer b = reader->allocate(kBig);
  std::vector<IoRequest> requests{{Op::read, file, kFileSize - 4096, kBig, a.data(), 1},
                                  {Op::read, file, kFileSize, kBig, b.data(), 2}};
  reader->submit(requests);
  std::vector<IoResult> out(4);
  ASSERT_EQ(reader->reap(out, 2), 2U);
  std::map<std::uint64_t, std::int64_t> res{{out[0].tag, out[0].res}, {out[1].tag, out[1].res}};
  EXPECT_EQ(res[1], 4096);
  EXPECT_EQ(res[2], 0);
  for (std::uint32_t i = 0; i < 4096; ++i) {
    ASSERT_EQ(a.data()[i], pattern(kFileSize - 4096 + i)) << "byte " << i;
  }

  // End of file inside a page: the engine resubmits the remainder (unaligned under O_DIRECT)
  // and must still report exactly the bytes up to the end.
  ASSERT_EQ(::truncate(path_.c_str(), kFileSize + 100), 0) << std::strerror(errno);
  std::memset(b.data(), 0xEE, kBig);
  std::vector<IoRequest> ragged{{Op::read, file, kFileSize - 4096, kBig, b.data(), 3}};
  reader->submit(ragged);
  ASSERT_EQ(reader->reap(out, 1), 1U);
  EXPECT_EQ(out[0].tag, 3U);
  EXPECT_EQ(out[0].res, 4096 + 100);
  for (std::uint32_t i = 0; i < 4096; ++i) {
    ASSERT_EQ(b.data()[i], pattern(kFileSize - 4096 + i)) << "byte " << i;
  }
  EXPECT_EQ(b.data()[4096], std::byte{0});
  EXPECT_EQ(b.data()[4096 + 99], std::byte{0});
  expect_effective(*reader);
  reader->close(file);
  skip_if_fell_back();
}

INSTANTIATE_TEST_SUITE_P(IoUringFeatures, IoUringEngineTest, ::testing::ValuesIn(all_variants()),
                         [](const ::testing::TestParamInfo<Variant>& param) {
                           return name_of(param.param);
                         });

}  // namespace
}  // namespace aistor
