#include "cuda/copy_probe.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "core/aligned_buffer.hpp"
#include "core/clock.hpp"
#include "cuda/cuda_resources.hpp"

namespace aistor::cuda {
namespace {

double time_point(int device, std::byte* host, void* dev, std::size_t chunk, std::size_t total,
                  bool pinned, bool to_device, cudaStream_t stream) {
  const cudaMemcpyKind kind = to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
  auto pass = [&] {
    for (std::size_t at = 0; at < total; at += chunk) {
      const std::size_t n = std::min(chunk, total - at);
      void* dst = to_device ? static_cast<void*>(static_cast<std::byte*>(dev) + at)
                            : static_cast<void*>(host + at);
      const void* src = to_device ? static_cast<const void*>(host + at)
                                  : static_cast<const void*>(static_cast<std::byte*>(dev) + at);
      if (pinned) {
        check(cudaMemcpyAsync(dst, src, n, kind, stream), "cudaMemcpyAsync", device);
      } else {
        check(cudaMemcpy(dst, src, n, kind), "cudaMemcpy", device);
      }
    }
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", device);
  };
  pass();
  std::array<double, 3> rates{};
  for (double& rate : rates) {
    const std::uint64_t start = now_ns();
    pass();
    rate = static_cast<double>(total) * 1e9 / static_cast<double>(now_ns() - start);
  }
  std::sort(rates.begin(), rates.end());
  return rates[1];
}

}  // namespace

std::vector<CopyRate> probe_copies(int device, const std::vector<std::size_t>& chunks,
                                   std::size_t total) {
  DeviceGuard guard(device);
  const std::size_t largest = std::max(total, *std::max_element(chunks.begin(), chunks.end()));
  PinnedMemory pinned = pinned_alloc(largest, device);
  AlignedBuffer pageable(largest, 4096);
  std::memset(pageable.data(), 1, largest);  // fault the pages in before timing
  std::memset(pinned.get(), 1, largest);
  DeviceMemory dev = device_alloc(largest, device);
  Stream stream = make_stream(device);
  std::vector<CopyRate> out;
  for (bool is_pinned : {true, false}) {
    for (bool to_device : {true, false}) {
      for (std::size_t chunk : chunks) {
        const std::size_t bytes = std::max(total, chunk);
        std::byte* host = is_pinned ? static_cast<std::byte*>(pinned.get()) : pageable.data();
        out.push_back({chunk, is_pinned, to_device,
                       time_point(device, host, dev.get(), chunk, bytes, is_pinned, to_device,
                                  stream.get())});
      }
    }
  }
  return out;
}

double copy_ceiling(int device, std::size_t chunk, bool pinned, bool to_device) {
  static std::mutex mutex;
  static std::map<std::tuple<int, std::size_t, bool, bool>, double> known;
  const std::lock_guard lock(mutex);
  const auto key = std::make_tuple(device, chunk, pinned, to_device);
  if (auto it = known.find(key); it != known.end()) return it->second;
  DeviceGuard guard(device);
  const std::size_t total = std::max<std::size_t>(chunk, 256ULL << 20);
  PinnedMemory pinned_host;
  AlignedBuffer pageable_host;
  std::byte* host = nullptr;
  if (pinned) {
    pinned_host = pinned_alloc(total, device);
    host = static_cast<std::byte*>(pinned_host.get());
  } else {
    pageable_host = AlignedBuffer(total, 4096);
    host = pageable_host.data();
  }
  std::memset(host, 1, total);
  DeviceMemory dev = device_alloc(total, device);
  Stream stream = make_stream(device);
  const double rate =
      time_point(device, host, dev.get(), chunk, total, pinned, to_device, stream.get());
  known.emplace(key, rate);
  return rate;
}

}  // namespace aistor::cuda
