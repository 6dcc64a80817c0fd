#pragma once
// Product quantisation: the in-memory part of a vector-search index (DiskANN keeps PQ codes in
// memory and ranks a query's candidates with them, reading full vectors only for nodes it expands).
// `m` subspaces (dimensions split as evenly as they go), 256 centroids each (fewer for a tiny
// index), trained by k-means on a sample; a vector's code is one byte per subspace. A query's
// distance table (m x 256 squared distances) turns a code into an approximate distance in m adds.
//
// File "pq.bin" (little-endian): "AISTORPQ" | u32 version | u32 dim | u32 m | u32 centroids |
// u64 count | f32 centroids (subspace-major) | u8 codes [count][m] | u64 checksum64 of all before.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace aistor::formats {

class ProductQuantizer {
 public:
  ProductQuantizer() = default;
  // Trains on `count` vectors of `dim` floats in `data`, on `threads` threads.
  [[nodiscard]] static ProductQuantizer train(std::span<const float> data, std::uint32_t dim,
                                              std::uint32_t m, std::uint64_t seed, unsigned threads,
                                              const std::atomic<bool>* stop);

  [[nodiscard]] std::uint32_t dim() const noexcept { return dim_; }
  [[nodiscard]] std::uint32_t subspaces() const noexcept { return m_; }
  [[nodiscard]] std::uint32_t centroids() const noexcept { return k_; }
  void encode(const float* v, std::uint8_t* code) const;
  // Fills `table` (m x 256) with the squared distances from `q`'s subvectors to every centroid.
  void table(const float* q, std::vector<float>& table) const;
  [[nodiscard]] float distance(const float* table, const std::uint8_t* code) const noexcept {
    // Four sums: the lookups' adds do not wait on each other.
    float d[4] = {0, 0, 0, 0};
    std::uint32_t j = 0;
    for (; j + 4 <= m_; j += 4, table += 1024) {
      d[0] += table[code[j]];
      d[1] += table[256 + code[j + 1]];
      d[2] += table[512 + code[j + 2]];
      d[3] += table[768 + code[j + 3]];
    }
    for (; j < m_; ++j, table += 256)
      d[0] += table[code[j]];
    return (d[0] + d[1]) + (d[2] + d[3]);
  }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return centroids_.size() * 4; }

 private:
  friend struct PqFile;
  std::uint32_t dim_ = 0;
  std::uint32_t m_ = 0;
  std::uint32_t k_ = 0;
  std::vector<std::uint32_t> offsets_;  // m + 1: subspace j is dims [offsets_[j], offsets_[j+1])
  std::vector<float> centroids_;        // subspace j's centroid c at (offsets_[j] * k + c * width)
};

// The quantiser and every vector's code, as stored.
struct PqFile {
  ProductQuantizer pq;
  std::vector<std::uint8_t> codes;  // count x m
  std::uint64_t count = 0;

  [[nodiscard]] const std::uint8_t* code(std::uint64_t id) const noexcept {
    return codes.data() + id * pq.subspaces();
  }
  // Written durably; read back checked (InputError "<file>: offset N: ..." when damaged).
  void write(const std::filesystem::path& file) const;
  [[nodiscard]] static PqFile read(const std::filesystem::path& file);
  // Encodes `count` vectors of `data` on `threads` threads.
  [[nodiscard]] static PqFile encode_all(ProductQuantizer pq, std::span<const float> data,
                                         unsigned threads, const std::atomic<bool>* stop);
};

}  // namespace aistor::formats
