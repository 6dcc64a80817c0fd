// The GPU engines: config checks everywhere; on a machine with a GPU, the exact bytes that land in
// device memory (checked on the GPU against the file) for every host engine, pinned and pageable,
// writes back to storage, and the raw workload end to end. Without a GPU they skip with the reason.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "core/checksum64.hpp"
#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "core/splitmix.hpp"
#include "engines/pump.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"
#include "workloads/runner/plan.hpp"
#ifdef AISTOR_HAVE_CUDA
#include "cuda/checksum.hpp"
#include "cuda/request_pieces.hpp"
#endif

namespace aistor {
namespace {

std::uint64_t reference_checksum(const std::vector<std::byte>& data) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i * 8 < data.size(); ++i) {
    std::uint64_t w = 0;
    for (std::size_t b = 0; b < 8 && i * 8 + b < data.size(); ++b)
      w |= static_cast<std::uint64_t>(data[i * 8 + b]) << (8 * b);
    sum += mix64(w ^ (i * kGolden64));
  }
  return sum;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed) {
  std::vector<std::byte> v(n);
  fill_random(v.data(), v.size(), seed);
  return v;
}

nlohmann::json raw_phase(const nlohmann::json& engine) {
  return {{"workload", "raw"},
          {"rw", "read"},
          {"size", "1MiB"},
          {"block_size", "128KiB"},
          {"engine", engine}};
}

}  // namespace

TEST(Checksum64, MatchesTheDefinitionOnEveryLengthAndTail) {
  for (std::size_t n : {0, 1, 7, 8, 9, 15, 16, 4095, 4096, 65539}) {
    auto data = random_bytes(n, n + 1);
    EXPECT_EQ(checksum64(data.data(), data.size()), reference_checksum(data)) << n;
  }
  EXPECT_EQ(checksum64(nullptr, 0), 0u);
}

TEST(Checksum64, SeesSwappedWordsAndAppendedZeros) {
  auto data = random_bytes(64, 3);
  const std::uint64_t before = checksum64(data.data(), data.size());
  std::swap_ranges(data.begin(), data.begin() + 8, data.begin() + 8);
  EXPECT_NE(checksum64(data.data(), data.size()), before);
  std::vector<std::byte> zeros(16);
  EXPECT_NE(checksum64(zeros.data(), 16), checksum64(zeros.data(), 8));
}

TEST(GpuEngineConfig, OptionsAreCheckedWithTheirPath) {
  EXPECT_EQ(test::plan_error(raw_phase({{"name", "gpu"}, {"gpus", nlohmann::json::array()}})),
            "config: phases[0].engine.gpus: must be a non-empty list of GPU indices, e.g. [0, 1]");
  EXPECT_EQ(test::plan_error(raw_phase({{"name", "gpu"}, {"gpus", {0, "one"}}})),
            "config: phases[0].engine.gpus: \"one\" is not a GPU index (0, 1, ...)");
  EXPECT_EQ(test::plan_error(raw_phase({{"name", "gpu"}, {"staging_size", "6000"}})),
            "config: phases[0].engine.staging_size: must be a multiple of 4 KiB");
  EXPECT_EQ(test::plan_error(raw_phase({{"name", "gpu"}, {"host_engine", "spdk"}})),
            "config: phases[0].engine.host_engine: \"spdk\" is not one of: pread, odirect, "
            "io_uring, mmap");
  EXPECT_EQ(test::plan_error(raw_phase({{"name", "pread"}, {"staging_buffers", 4}})),
            "config: phases[0].engine.staging_buffers: unknown key");
}

TEST(GpuEngineConfig, MappedHostCannotBeDirect) {
  EXPECT_EQ(
      test::plan_error(raw_phase({{"name", "gpu"}, {"host_engine", "mmap"}, {"direct", true}})),
      "config: phases[0].engine.direct: host_engine mmap reads through the page cache; it "
      "cannot be direct");
}

TEST(GpuEngineConfig, WorkloadsThatCheckBytesRefuseDeviceMemory) {
  const nlohmann::json phase{{"workload", "pack"},
                             {"source", "raw"},
                             {"target", "tfrecord"},
                             {"engine", {{"name", "gpu"}}}};
  EXPECT_EQ(test::plan_error(phase),
            "config: phases[0].engine: engine gpu delivers into GPU memory, which the pack "
            "workload cannot use: it checks the bytes it moves; model-load, raw, samples and "
            "checkpoint can");
  // A checkpoint keeps its shards' state there (the GPU's half of the workload).
  EXPECT_EQ(test::plan_error({{"workload", "checkpoint"},
                              {"op", "save"},
                              {"size", "1MiB"},
                              {"engine", {{"name", "gpu"}}}}),
            "(no error)");
  EXPECT_EQ(test::plan_error({{"workload", "storm"},
                              {"path", "m.safetensors"},
                              {"engine", {{"name", "gpu-pageable"}}}}),
            "config: phases[0].engine: engine gpu-pageable delivers into GPU memory, which the "
            "storm workload cannot use: its clients are forked processes, and CUDA cannot be used "
            "in a forked child once the parent has used it; model-load loads into GPU memory");
}

TEST(GpuEngineConfig, WithoutAGpuTheRunFailsWithTheReason) {
  const EngineInfo* gpu = find_engine("gpu");
  ASSERT_NE(gpu, nullptr);
  test::ScratchDir dir;
  Availability a = gpu->probe(dir.path());
  if (a.available) GTEST_SKIP() << "a GPU is here";
  EXPECT_FALSE(a.reason.empty());
  EngineConfig c;
  c.name = "gpu";
  try {
    (void)make_engine(c);
    ADD_FAILURE() << "made a gpu engine without a GPU";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("engine gpu: ", 0), 0u) << e.what();
  }
}

#ifdef AISTOR_HAVE_CUDA

// RequestPieces is plain C++ (no GPU needed): it runs wherever the CUDA parts are built.
TEST(RequestPieces, SplitsInOrderAndReportsEachRequestWhenItsLastPieceIsDone) {
  RequestPieces pieces(2, 4096);
  std::byte buf[1];
  pieces.add({Op::read, 0, 0, 10000, buf, 7});
  pieces.add({Op::read, 0, 0, 4096, buf, 8});
  EXPECT_THROW(pieces.add({Op::read, 0, 0, 1, buf, 9}), std::logic_error);
  std::vector<RequestPieces::Piece> got;
  while (pieces.has_waiting())
    got.push_back(pieces.next());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].offset, 0u);
  EXPECT_EQ(got[1].offset, 4096u);
  EXPECT_EQ(got[2].offset, 8192u);
  EXPECT_EQ(got[2].length, 10000u - 8192u);
  EXPECT_NE(got[3].request, got[0].request);
  EXPECT_EQ(got[3].length, 4096u);
  // Out of order: the second request finishes first; the first reports its first error.
  pieces.done(got[3].request, 4096);
  pieces.done(got[2].request, 1808);
  pieces.done(got[0].request, -5);
  EXPECT_EQ(pieces.ready(), 1u);
  pieces.done(got[1].request, 4096);
  EXPECT_EQ(pieces.outstanding(), 0u);
  IoResult out[3];
  ASSERT_EQ(pieces.take(out), 2u);
  EXPECT_EQ(out[0].tag, 8u);
  EXPECT_EQ(out[0].res, 4096);
  EXPECT_EQ(out[1].tag, 7u);
  EXPECT_EQ(out[1].res, -5);
  pieces.add({Op::read, 0, 0, 0, buf, 10});
  ASSERT_EQ(pieces.take(out), 1u);
  EXPECT_EQ(out[0].res, 0);
}

class OnGpu : public testing::Test {
 protected:
  void SetUp() override {
    Availability a = find_engine("gpu")->probe(dir_.path());
    if (!a.available) GTEST_SKIP() << "no GPU here: " << a.reason;
  }
  test::ScratchDir dir_;
};

TEST_F(OnGpu, DeviceChecksumEqualsHostChecksumAtAnyLengthAndAlignment) {
  EngineConfig c;
  c.name = "gpu";
  auto engine = make_engine(c);
  const std::size_t most = (1 << 20) + 64;
  Buffer dev = engine->allocate(most);
  auto host = random_bytes(most, 11);
  engine->upload(dev.data(), host);
  for (std::size_t start : {0, 1, 3, 8}) {
    for (std::size_t n : {0, 1, 7, 8, 9, 4095, 1 << 20}) {
      EXPECT_EQ(cuda::device_checksum64(dev.data() + start, n, 0),
                checksum64(host.data() + start, n))
          << "start " << start << " length " << n;
    }
  }
}

struct GpuCase {
  const char* engine;
  const char* host;
};

class GpuRead : public OnGpu, public testing::WithParamInterface<GpuCase> {};

// Requests of 3 MiB + change over 1 MiB staging buffers: pieces, a short last piece, a request
// that runs into end of file; every request's device bytes are checksummed against the file.
TEST_P(GpuRead, DeviceMemoryHoldsExactlyTheFileBytes) {
  const std::uint64_t size = (40ULL << 20) + 12288;
  const auto path = test::write_pattern_file(dir_.path() / "f", size, 5);
  std::vector<std::byte> file(size);
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char*>(file.data()), static_cast<std::streamsize>(size));
  EngineConfig c;
  c.name = GetParam().engine;
  c.host_engine = GetParam().host;
  c.staging_buffers = 3;
  c.staging_size = 1 << 20;
  c.queue_depth = 2;
  c.verify = true;
  auto engine = make_engine(c);
  const FileId f = engine->open(path, Access::read);
  const std::uint32_t length = (3 << 20) + 4096;
  std::vector<Buffer> bufs;
  bufs.push_back(engine->allocate(length));
  bufs.push_back(engine->allocate(length));
  std::uint64_t offset = 0;
  unsigned next = 0;
  while (offset < size) {
    IoRequest r{Op::read, f, offset, length, bufs[next].data(), offset, true};
    engine->submit({&r, 1});
    IoResult got{};
    ASSERT_EQ(engine->reap({&got, 1}, 1), 1u);
    const std::uint64_t expect = std::min<std::uint64_t>(length, size - offset);
    ASSERT_EQ(got.tag, offset);
    ASSERT_EQ(got.res, static_cast<std::int64_t>(expect)) << "at " << offset;
    EXPECT_EQ(cuda::device_checksum64(bufs[next].data(), expect, 0),
              checksum64(file.data() + offset, expect))
        << "at " << offset;
    offset += length;
    next ^= 1;
  }
  engine->close(f);
}

INSTANTIATE_TEST_SUITE_P(Engines, GpuRead,
                         testing::Values(GpuCase{"gpu", "pread"}, GpuCase{"gpu", "odirect"},
                                         GpuCase{"gpu", "io_uring"}, GpuCase{"gpu", "mmap"},
                                         GpuCase{"gpu-pageable", "pread"},
                                         GpuCase{"gpu-pageable", "io_uring"},
                                         GpuCase{"gpu-pageable", "mmap"}),
                         [](const auto& p) {
                           std::string n = std::string(p.param.engine) + "_" + p.param.host;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST_F(OnGpu, WritesCarryDeviceBytesToStorage) {
  EngineConfig c;
  c.name = "gpu";
  c.host_engine = "io_uring";
  c.staging_size = 1 << 20;
  c.queue_depth = 4;
  auto engine = make_engine(c);
  const auto path = dir_.path() / "w";
  std::ofstream(path).close();  // engines open what a workload laid out; they do not create
  const FileId f = engine->open(path, Access::write);
  const std::size_t block = (2 << 20) + 8192;
  auto host = random_bytes(4 * block, 21);
  std::vector<Buffer> bufs;
  std::vector<IoRequest> reqs;
  for (unsigned i = 0; i < 4; ++i) {
    bufs.push_back(engine->allocate(block));
    engine->upload(bufs.back().data(), std::span(host).subspan(i * block, block));
    reqs.push_back(
        {Op::write, f, i * block, static_cast<std::uint32_t>(block), bufs.back().data(), i});
  }
  engine->submit(reqs);
  std::vector<IoResult> done(4);
  std::size_t n = 0;
  while (n < 4)
    n += engine->reap(std::span(done).subspan(n), 4 - n);
  for (const auto& d : done)
    EXPECT_EQ(d.res, static_cast<std::int64_t>(block)) << d.tag;
  engine->sync(f);
  engine->close(f);
  std::vector<std::byte> back(host.size());
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char*>(back.data()), static_cast<std::streamsize>(back.size()));
  EXPECT_TRUE(back == host);
}

// cuFile, in whichever mode it runs here: what lands in GPU memory is the file's bytes, and what
// it writes from GPU memory reads back the same.
TEST_F(OnGpu, GdsMovesExactBytesBothWays) {
  Availability a = find_engine("gds")->probe(dir_.path());
  if (!a.available) GTEST_SKIP() << "gds unavailable: " << a.reason;
  EngineConfig c;
  c.name = "gds";
  auto engine = make_engine(c);
  EXPECT_TRUE(engine->describe().contains("cufile_mode"));
  const std::uint64_t size = 8 << 20;
  const auto path = test::write_pattern_file(dir_.path() / "g", size, 9);
  std::vector<std::byte> file(size);
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char*>(file.data()), static_cast<std::streamsize>(size));
  Buffer buf = engine->allocate(size);
  FileId f = engine->open(path, Access::read);
  IoRequest r{Op::read, f, 0, static_cast<std::uint32_t>(size), buf.data(), 1};
  engine->submit({&r, 1});
  IoResult got{};
  ASSERT_EQ(engine->reap({&got, 1}, 1), 1u);
  ASSERT_EQ(got.res, static_cast<std::int64_t>(size));
  EXPECT_EQ(cuda::device_checksum64(buf.data(), size, 0), checksum64(file.data(), size));
  engine->close(f);

  auto host = random_bytes(size, 13);
  engine->upload(buf.data(), host);
  const auto out = dir_.path() / "g-out";
  std::ofstream(out).close();
  f = engine->open(out, Access::write);
  IoRequest w{Op::write, f, 0, static_cast<std::uint32_t>(size), buf.data(), 2};
  engine->submit({&w, 1});
  ASSERT_EQ(engine->reap({&got, 1}, 1), 1u);
  ASSERT_EQ(got.res, static_cast<std::int64_t>(size));
  engine->sync(f);
  engine->close(f);
  std::vector<std::byte> back(size);
  std::ifstream(out, std::ios::binary)
      .read(reinterpret_cast<char*>(back.data()), static_cast<std::streamsize>(size));
  EXPECT_TRUE(back == host);
}

TEST_F(OnGpu, MappedHostReadsOnly) {
  EngineConfig c;
  c.name = "gpu";
  c.host_engine = "mmap";
  auto engine = make_engine(c);
  const auto path = test::write_pattern_file(dir_.path() / "f", 4096);
  try {
    (void)engine->open(path, Access::write);
    ADD_FAILURE() << "opened for writing";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "engine gpu with host_engine mmap only reads (" + path.string() + ")");
  }
}

TEST_F(OnGpu, RawWorkloadReadsIntoTheGpuAndReportsTheCeiling) {
  auto phase = test::run_phase(dir_.path(), {{"workload", "raw"},
                                             {"rw", "read"},
                                             {"size", "64MiB"},
                                             {"block_size", "4MiB"},
                                             {"threads", 2},
                                             {"file_per_thread", false},
                                             {"engine",
                                              {{"name", "gpu"},
                                               {"queue_depth", 2},
                                               {"staging_size", "1MiB"},
                                               {"verify", true},
                                               {"gpus", {0, 0}}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  EXPECT_EQ(phase["bytes"], 64 << 20);
  EXPECT_EQ(phase["engine"]["gpu"], 0);
  EXPECT_GT(phase["copy_ceiling_fraction"].get<double>(), 0.0);
}

#endif  // AISTOR_HAVE_CUDA

}  // namespace aistor
