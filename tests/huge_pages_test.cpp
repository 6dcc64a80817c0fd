// Engine buffers on transparent huge pages (option huge_pages): a buffer of 2 MiB or more is a
// mapping of its own, 2 MiB-aligned, advised MADV_HUGEPAGE ("hg" among the kernel's VmFlags for
// it), zero-filled, and carries I/O exactly as an ordinary buffer does; smaller buffers and engines
// without the option are as before.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/aligned_buffer.hpp"
#include "core/random_bytes.hpp"
#include "engines/engine.hpp"
#include "engines/engine_config.hpp"
#include "engines/pump.hpp"
#include "engines/registry.hpp"
#include "tests/test_support.hpp"

namespace aistor {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// The VmFlags line of the mapping of /proc/self/smaps that holds `p` ("" if none does).
std::string vm_flags_at(const void* p) {
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

// Whether this kernel has transparent huge pages at all (without them MADV_HUGEPAGE is refused
// and no mapping carries the flag).
bool kernel_has_thp() {
  return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good();
}

bool advised_huge(const void* p) {
  std::istringstream flags(vm_flags_at(p));
  std::string f;
  while (flags >> f)
    if (f == "hg") return true;
  return false;
}

bool all_zero(const std::byte* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != std::byte{0}) return false;
  return true;
}

TEST(HugePages, ABufferOfTwoMiBOrMoreIsAnAlignedAdvisedMappingOfItsOwn) {
  AlignedBuffer big(5 * kMiB, 4096, true);
  EXPECT_TRUE(big.huge_pages());
  EXPECT_EQ(big.size(), 6 * kMiB);  // rounded up to whole huge pages
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.data()) % kHugePage, 0u);
  if (kernel_has_thp()) {
    EXPECT_TRUE(advised_huge(big.data()));
    EXPECT_TRUE(advised_huge(big.data() + big.size() - 1));
  }
  EXPECT_TRUE(all_zero(big.data(), big.size()));

  AlignedBuffer moved = std::move(big);
  EXPECT_EQ(big.data(), nullptr);
  EXPECT_TRUE(moved.huge_pages());
  EXPECT_EQ(moved.size(), 6 * kMiB);
}

TEST(HugePages, SmallerBuffersAndPlainBuffersAreHeapMemory) {
  AlignedBuffer small(kMiB, 4096, true);
  EXPECT_FALSE(small.huge_pages());
  EXPECT_EQ(small.size(), kMiB);
  AlignedBuffer plain(4 * kMiB, 4096);
  EXPECT_FALSE(plain.huge_pages());
  EXPECT_EQ(plain.size(), 4 * kMiB);
  if (kernel_has_thp()) {
    EXPECT_FALSE(advised_huge(plain.data()));
  }
}

// Each engine with the option hands out advised, aligned buffers that read a file's bytes exactly.
TEST(HugePages, EnginesReadExactBytesIntoHugePageBuffers) {
  test::ScratchDir dir;
  const std::uint64_t size = 6 * kMiB;
  const auto path = test::write_pattern_file(dir.path() / "f", size, 11);
  std::vector<std::byte> want(size);
  fill_random(want.data(), want.size(), 11);
  for (const char* name : {"pread", "odirect", "io_uring"}) {
    SCOPED_TRACE(name);
    if (!find_engine(name)->probe(dir.path()).available) continue;
    EngineConfig c;
    c.name = name;
    c.direct = std::string(name) == "odirect";
    c.queue_depth = 2;
    c.huge_pages = true;
    auto engine = make_engine(c);
    Buffer buf = engine->allocate(4 * kMiB);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(buf.data()) % kHugePage, 0u);
    if (kernel_has_thp()) {
      EXPECT_TRUE(advised_huge(buf.data()));
    }
    const FileId f = engine->open(path, Access::read);
    IoRequest r{Op::read, f, 2 * kMiB, static_cast<std::uint32_t>(4 * kMiB), buf.data(), 1};
    engine->submit(std::span(&r, 1));
    IoResult out;
    ASSERT_EQ(engine->reap(std::span(&out, 1), 1), 1u);
    EXPECT_EQ(out.res, static_cast<std::int64_t>(4 * kMiB));
    EXPECT_EQ(std::memcmp(buf.data(), want.data() + 2 * kMiB, 4 * kMiB), 0);
    engine->close(f);
    EXPECT_EQ(engine->describe().value("huge_pages", false), true);
  }
}

TEST(HugePages, TheOptionIsCheckedWithItsPath) {
  const auto phase = [](nlohmann::json engine) {
    return nlohmann::json{
        {"workload", "raw"}, {"rw", "read"}, {"size", "1MiB"}, {"engine", std::move(engine)}};
  };
  EXPECT_EQ(test::plan_error(phase({{"name", "mmap"}, {"huge_pages", true}})),
            "config: phases[0].engine.huge_pages: unknown key");
  EXPECT_EQ(test::plan_error(phase({{"name", "pread"}, {"huge_pages", "yes"}})),
            "config: phases[0].engine.huge_pages: must be true or false, got string");
  EXPECT_EQ(test::plan_error(phase({{"name", "io_uring"}, {"huge_pages", true}})), "(no error)");
}

}  // namespace
}  // namespace aistor
