// Cost of recording one latency, and of the recorder's whole per-op bookkeeping.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "core/histogram.hpp"
#include "core/recorder.hpp"

namespace {

std::vector<std::uint64_t> latencies() {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~20 us median, long tail
  std::vector<std::uint64_t> v(4096);
  for (auto& x : v)
    x = static_cast<std::uint64_t>(dist(rng));
  return v;
}

void BM_HistogramRecord(benchmark::State& state) {
  auto values = latencies();
  aistor::LatencyHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_RecorderRecord(benchmark::State& state) {
  auto values = latencies();
  aistor::Recorder r(0, 100'000'000);
  std::uint64_t t = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    t += 1000;
    r.record(aistor::Direction::read, 0, (i * 7919 % 65536) * 4096, 4096, 4096, t,
             t + values[i & 4095]);
    ++i;
  }
  benchmark::DoNotOptimize(r.ops());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecorderRecord);

void BM_HistogramQuantile(benchmark::State& state) {
  auto values = latencies();
  aistor::LatencyHistogram h;
  for (auto v : values)
    h.record(v);
  for (auto _ : state)
    benchmark::DoNotOptimize(h.quantile(0.99));
}
BENCHMARK(BM_HistogramQuantile);

}  // namespace
