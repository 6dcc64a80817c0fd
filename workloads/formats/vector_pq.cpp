#include "workloads/formats/vector_pq.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "core/checksum64.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/mapping.hpp"
#include "core/splitmix.hpp"
#include "workloads/formats/vector_data.hpp"

namespace aistor::formats {
namespace {

constexpr char kMagic[8] = {'A', 'I', 'S', 'T', 'O', 'R', 'P', 'Q'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHead = 32;
constexpr std::uint64_t kSampleMax = 10000;
constexpr int kIterations = 8;

template <typename F>
void parallel_for(std::uint64_t n, unsigned threads, F&& f) {
  std::atomic<std::uint64_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, threads); ++t) {
    pool.emplace_back([&] {
      for (std::uint64_t i = next++; i < n; i = next++)
        f(i);
    });
  }
  for (auto& t : pool)
    t.join();
}

// k-means of `n` points of `width` floats (stride `stride`, starting at column `col`) into `k`
// centroids written to `out` (k x width).
void kmeans(std::span<const float> data, std::uint32_t stride, std::uint32_t col,
            std::uint32_t width, const std::vector<std::uint64_t>& sample, std::uint32_t k,
            float* out) {
  const auto point = [&](std::uint64_t i) { return &data[i * stride + col]; };
  for (std::uint32_t c = 0; c < k; ++c)  // distinct sample points to start
    std::memcpy(out + std::size_t{c} * width, point(sample[(c * sample.size()) / k]),
                width * sizeof(float));
  std::vector<std::uint32_t> assign(sample.size());
  std::vector<double> sums(std::size_t{k} * width);
  std::vector<std::uint64_t> sizes(k);
  for (int it = 0; it < kIterations; ++it) {
    for (std::size_t s = 0; s < sample.size(); ++s) {
      float best = std::numeric_limits<float>::max();
      for (std::uint32_t c = 0; c < k; ++c) {
        const float d = l2_squared(point(sample[s]), out + std::size_t{c} * width, width);
        if (d < best) {
          best = d;
          assign[s] = c;
        }
      }
    }
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(sizes.begin(), sizes.end(), 0);
    for (std::size_t s = 0; s < sample.size(); ++s) {
      ++sizes[assign[s]];
      for (std::uint32_t d = 0; d < width; ++d)
        sums[std::size_t{assign[s]} * width + d] += point(sample[s])[d];
    }
    for (std::uint32_t c = 0; c < k; ++c) {
      if (sizes[c] == 0) continue;  // an empty cluster keeps its centroid
      for (std::uint32_t d = 0; d < width; ++d)
        out[std::size_t{c} * width + d] =
            static_cast<float>(sums[std::size_t{c} * width + d] / static_cast<double>(sizes[c]));
    }
  }
}

template <typename T>
void put(std::vector<std::byte>& b, T v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  b.insert(b.end(), p, p + sizeof v);
}

}  // namespace

ProductQuantizer ProductQuantizer::train(std::span<const float> data, std::uint32_t dim,
                                         std::uint32_t m, std::uint64_t seed, unsigned threads,
                                         const std::atomic<bool>* stop) {
  ProductQuantizer pq;
  pq.dim_ = dim;
  pq.m_ = m;
  const std::uint64_t count = data.size() / dim;
  pq.k_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(256, count));
  pq.offsets_.resize(m + 1);
  for (std::uint32_t j = 0; j <= m; ++j)
    pq.offsets_[j] = static_cast<std::uint32_t>(std::uint64_t{j} * dim / m);
  pq.centroids_.assign(std::size_t{dim} * pq.k_, 0.0F);
  // A seeded sample without repeats: a stride walk through a permutation-free pick.
  std::vector<std::uint64_t> sample;
  const std::uint64_t n = std::min(count, kSampleMax);
  sample.reserve(n);
  std::uint64_t state = mix64(seed ^ 0x7071736d706c65ULL);
  for (std::uint64_t i = 0; i < n; ++i)
    sample.push_back(n == count ? i : (i * count) / n + splitmix64(state) % (count / n));
  parallel_for(m, threads, [&](std::uint64_t j) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return;
    const std::uint32_t width = pq.offsets_[j + 1] - pq.offsets_[j];
    kmeans(data, dim, pq.offsets_[j], width, sample, pq.k_,
           &pq.centroids_[std::size_t{pq.offsets_[j]} * pq.k_]);
  });
  if (stop != nullptr && stop->load()) throw InputError("interrupted while training PQ");
  return pq;
}

void ProductQuantizer::encode(const float* v, std::uint8_t* code) const {
  for (std::uint32_t j = 0; j < m_; ++j) {
    const std::uint32_t width = offsets_[j + 1] - offsets_[j];
    const float* cents = &centroids_[std::size_t{offsets_[j]} * k_];
    float best = std::numeric_limits<float>::max();
    for (std::uint32_t c = 0; c < k_; ++c) {
      const float d = l2_squared(v + offsets_[j], cents + std::size_t{c} * width, width);
      if (d < best) {
        best = d;
        code[j] = static_cast<std::uint8_t>(c);
      }
    }
  }
}

void ProductQuantizer::table(const float* q, std::vector<float>& table) const {
  // Per query (m x 256 distances of a few dimensions each): inline, no call a centroid.
  table.assign(std::size_t{m_} * 256, std::numeric_limits<float>::max());
  for (std::uint32_t j = 0; j < m_; ++j) {
    const std::uint32_t width = offsets_[j + 1] - offsets_[j];
    const float* cents = &centroids_[std::size_t{offsets_[j]} * k_];
    const float* sub = q + offsets_[j];
    float* out = &table[std::size_t{j} * 256];
    for (std::uint32_t c = 0; c < k_; ++c, cents += width) {
      float d = 0;
      for (std::uint32_t t = 0; t < width; ++t) {
        const float x = sub[t] - cents[t];
        d += x * x;
      }
      out[c] = d;
    }
  }
}

PqFile PqFile::encode_all(ProductQuantizer pq, std::span<const float> data, unsigned threads,
                          const std::atomic<bool>* stop) {
  PqFile f;
  f.count = data.size() / pq.dim();
  f.codes.resize(f.count * pq.subspaces());
  f.pq = std::move(pq);
  parallel_for(f.count, threads, [&](std::uint64_t i) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return;
    f.pq.encode(&data[i * f.pq.dim()], &f.codes[i * f.pq.subspaces()]);
  });
  if (stop != nullptr && stop->load()) throw InputError("interrupted while encoding PQ codes");
  return f;
}

void PqFile::write(const std::filesystem::path& file) const {
  std::vector<std::byte> b;
  b.reserve(kHead + pq.centroids_.size() * 4 + codes.size() + 8);
  b.insert(b.end(), reinterpret_cast<const std::byte*>(kMagic),
           reinterpret_cast<const std::byte*>(kMagic) + 8);
  put<std::uint32_t>(b, kVersion);
  put<std::uint32_t>(b, pq.dim_);
  put<std::uint32_t>(b, pq.m_);
  put<std::uint32_t>(b, pq.k_);
  put<std::uint64_t>(b, count);
  const auto* c = reinterpret_cast<const std::byte*>(pq.centroids_.data());
  b.insert(b.end(), c, c + pq.centroids_.size() * 4);
  const auto* k = reinterpret_cast<const std::byte*>(codes.data());
  b.insert(b.end(), k, k + codes.size());
  put<std::uint64_t>(b, checksum64(b.data(), b.size()));
  write_file_durably(file, b);
}

PqFile PqFile::read(const std::filesystem::path& file) {
  const Mapping map = map_file(file);
  const std::byte* p = map.data();
  const std::size_t size = map.size();
  auto fail = [&](std::size_t at, const std::string& what) {
    throw InputError(fmt::format("{}: offset {}: {}", file.string(), at, what));
  };
  if (size < kHead + 8) fail(size, "truncated: shorter than the PQ header");
  if (std::memcmp(p, kMagic, 8) != 0) fail(0, "not an aistor PQ file (bad magic)");
  std::uint32_t version, dim, m, k;
  std::uint64_t count;
  std::memcpy(&version, p + 8, 4);
  std::memcpy(&dim, p + 12, 4);
  std::memcpy(&m, p + 16, 4);
  std::memcpy(&k, p + 20, 4);
  std::memcpy(&count, p + 24, 8);
  if (version != kVersion) fail(8, fmt::format("PQ version {}", version));
  if (dim == 0 || dim > kMaxIndexDim || m == 0 || m > dim) fail(12, "impossible dim or subspaces");
  if (k == 0 || k > 256) fail(20, fmt::format("{} centroids a subspace", k));
  if (count == 0 || count > UINT32_MAX) fail(24, fmt::format("{} codes", count));
  const std::uint64_t want = kHead + std::uint64_t{dim} * k * 4 + count * m + 8;
  if (size != want) fail(size, fmt::format("{} bytes where the header says {}", size, want));
  std::uint64_t sum;
  std::memcpy(&sum, p + size - 8, 8);
  if (sum != checksum64(p, size - 8)) fail(size - 8, "checksum mismatch (the file is damaged)");
  PqFile f;
  f.count = count;
  f.pq.dim_ = dim;
  f.pq.m_ = m;
  f.pq.k_ = k;
  f.pq.offsets_.resize(m + 1);
  for (std::uint32_t j = 0; j <= m; ++j)
    f.pq.offsets_[j] = static_cast<std::uint32_t>(std::uint64_t{j} * dim / m);
  f.pq.centroids_.resize(std::size_t{dim} * k);
  std::memcpy(f.pq.centroids_.data(), p + kHead, f.pq.centroids_.size() * 4);
  f.codes.assign(reinterpret_cast<const std::uint8_t*>(p + kHead + f.pq.centroids_.size() * 4),
                 reinterpret_cast<const std::uint8_t*>(p + size - 8));
  for (std::size_t i = 0; i < f.codes.size(); ++i)
    if (f.codes[i] >= k) fail(kHead + f.pq.centroids_.size() * 4 + i, "code past the centroids");
  return f;
}

}  // namespace aistor::formats
