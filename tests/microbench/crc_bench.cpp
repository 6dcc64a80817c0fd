// Checksum throughput per format's checksum: CRC-32C (TFRecord, sample content) and CRC-32
// (FFRecord), each the dispatching path against the portable one, on a 64 KiB sample.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <vector>

#include "workloads/formats/crc.hpp"

namespace {

std::vector<std::byte> random_bytes(std::size_t n) {
  std::mt19937_64 rng(1);
  std::vector<std::byte> v(n);
  for (auto& b : v)
    b = static_cast<std::byte>(rng());
  return v;
}

template <auto Fn>
void BM_Checksum(benchmark::State& state) {
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(Fn(data, 0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

using namespace aistor::formats;
BENCHMARK(BM_Checksum<crc32c>)->Name("crc32c")->Arg(64 << 10);
BENCHMARK(BM_Checksum<detail::crc32c_portable>)->Name("crc32c_portable")->Arg(64 << 10);
BENCHMARK(BM_Checksum<crc32>)->Name("crc32")->Arg(64 << 10);
BENCHMARK(BM_Checksum<detail::crc32_portable>)->Name("crc32_zlib")->Arg(64 << 10);

}  // namespace
