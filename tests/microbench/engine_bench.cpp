// Per-op cost of each engine on a page-cache-resident file: 4 KiB random reads, QD1 for every
// engine and QD32 for io_uring. Measures the engine (submit + reap) without the pump or recorder.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/page_cache.hpp"
#include "core/permutation.hpp"
#include "engines/registry.hpp"
#include "workloads/common/layout.hpp"

namespace {

constexpr std::uint64_t kFileBytes = 256ull << 20;
constexpr std::uint32_t kBlock = 4096;

const std::filesystem::path& cached_file() {
  static const std::filesystem::path path = [] {
    const char* dir = std::getenv("AISTOR_BENCH_DIR");
    std::filesystem::path p = std::filesystem::path(dir ? dir : "/var/tmp") / "aistor-microbench.0";
    aistor::LayoutFile f{p, kFileBytes, 42};
    aistor::lay_out(std::span(&f, 1), nullptr);
    aistor::warm(p);
    return p;
  }();
  return path;
}

void run_engine(benchmark::State& state, const std::string& name, unsigned depth) {
  aistor::EngineConfig config;
  config.name = name;
  config.queue_depth = depth;
  auto engine = aistor::make_engine(config);
  auto file = engine->open(cached_file(), aistor::Access::read);
  std::vector<aistor::Buffer> buffers;
  for (unsigned i = 0; i < depth; ++i)
    buffers.push_back(engine->allocate(kBlock));
  aistor::Permutation perm(kFileBytes / kBlock, 7);
  std::uint64_t next = 0;
  auto request = [&](unsigned slot) {
    aistor::IoRequest r{aistor::Op::read,     file, perm.at(next++ % perm.size()) * kBlock, kBlock,
                        buffers[slot].data(), slot};
    return r;
  };
  std::vector<aistor::IoRequest> initial;
  for (unsigned i = 0; i < depth; ++i)
    initial.push_back(request(i));
  engine->submit(initial);
  std::vector<aistor::IoResult> done(depth);
  for (auto _ : state) {
    // One completion in, one request out: the queue stays at `depth`.
    std::size_t n = engine->reap(std::span(done.data(), 1), 1);
    if (n != 1 || done[0].res != kBlock) {
      state.SkipWithError("short or failed read");
      break;
    }
    auto r = request(static_cast<unsigned>(done[0].tag));
    engine->submit(std::span(&r, 1));
  }
  std::size_t outstanding = depth;
  while (outstanding > 0)
    outstanding -= engine->reap(done, outstanding);
  engine->close(file);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kBlock);
}

void BM_Pread(benchmark::State& s) {
  run_engine(s, "pread", 1);
}
void BM_Mmap(benchmark::State& s) {
  run_engine(s, "mmap", 1);
}
void BM_IoUring(benchmark::State& s) {
  run_engine(s, "io_uring", static_cast<unsigned>(s.range(0)));
}
BENCHMARK(BM_Pread);
BENCHMARK(BM_Mmap);
BENCHMARK(BM_IoUring)->Arg(1)->Arg(32);

}  // namespace
