#pragma once
// The on-disk part of a vector-search index, laid out as DiskANN lays out its SSD index: a 4 KiB
// header sector, then one record per node — the full-precision vector, a 32-bit degree and `degree`
// 32-bit neighbour ids (unused slots zero) — several records to a 4 KiB sector where they fit
// (never crossing one), else each record on sectors of its own. A query reads a node's sector(s)
// in one aligned read.
//
// Header (little-endian): "AISTORVI" | u32 version | u32 dim | u32 dtype | u32 metric | u64 count
// | u32 degree | u32 record_bytes | u32 nodes_per_sector (0: a record spans sectors) | u32
// sectors_per_node | u64 entry | u64 file_bytes | u64 checksum64 of the 64 bytes before it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace aistor::formats {

inline constexpr std::uint32_t kIndexSector = 4096;
// An index directory: the on-disk graph, the in-memory part (PQ codes), and the manifest that says
// aistor made them and from what spec.
inline constexpr const char* kIndexManifest = "aistor-index.json";
inline constexpr const char* kIndexGraphFile = "graph.index";
inline constexpr const char* kIndexPqFile = "pq.bin";
inline constexpr std::uint32_t kIndexVersion = 1;
inline constexpr std::uint32_t kMaxIndexDim = 65536;
inline constexpr std::uint32_t kMaxIndexDegree = 1024;

enum class VectorDtype : std::uint32_t { float32 = 0, uint8 = 1 };
enum class VectorMetric : std::uint32_t { l2 = 0, cosine = 1 };

[[nodiscard]] const char* to_string(VectorDtype d) noexcept;
[[nodiscard]] const char* to_string(VectorMetric m) noexcept;
[[nodiscard]] std::uint32_t dtype_bytes(VectorDtype d) noexcept;

struct VectorIndexHeader {
  std::uint32_t dim = 0;
  VectorDtype dtype = VectorDtype::float32;
  VectorMetric metric = VectorMetric::l2;
  std::uint64_t count = 0;
  std::uint32_t degree = 0;
  std::uint64_t entry = 0;

  // The layout that follows from dim, dtype and degree.
  [[nodiscard]] std::uint32_t record_bytes() const noexcept {
    return dim * dtype_bytes(dtype) + 4 * (degree + 1);
  }
  [[nodiscard]] std::uint32_t nodes_per_sector() const noexcept {
    return record_bytes() <= kIndexSector ? kIndexSector / record_bytes() : 0;
  }
  [[nodiscard]] std::uint32_t sectors_per_node() const noexcept {
    return (record_bytes() + kIndexSector - 1) / kIndexSector;
  }
  // Where node `id`'s record begins in the file, the aligned read that holds it, its offset in
  // that read.
  [[nodiscard]] std::uint64_t record_offset(std::uint64_t id) const noexcept;
  [[nodiscard]] std::uint64_t read_offset(std::uint64_t id) const noexcept {
    return record_offset(id) / kIndexSector * kIndexSector;
  }
  [[nodiscard]] std::uint32_t read_bytes() const noexcept {
    return sectors_per_node() * kIndexSector;
  }
  [[nodiscard]] std::uint64_t file_bytes() const noexcept;

  // The 4 KiB header sector.
  [[nodiscard]] std::array<std::byte, kIndexSector> encode() const;
  // Parses and checks a header sector; InputError "<file>: offset N: ..." when it is not one.
  [[nodiscard]] static VectorIndexHeader decode(std::span<const std::byte> sector,
                                                const std::string& file);
};

// One node's record inside a read of it: its vector bytes and its neighbours. Checked: the
// degree is at most the header's and every id is below count; InputError names the file and the
// record's offset otherwise.
struct NodeRecord {
  std::span<const std::byte> vector;
  const std::byte* neighbour_bytes = nullptr;  // `degree` u32 ids, maybe unaligned
  std::uint32_t degree = 0;

  [[nodiscard]] std::uint32_t neighbour(std::uint32_t i) const noexcept;
};
[[nodiscard]] NodeRecord parse_record(const VectorIndexHeader& h, std::uint64_t id,
                                      std::span<const std::byte> read, const std::string& file);

// `aistor inspect` of an index file: its shape, its bytes, the degree distribution and the
// checks (every record's degree and ids, each node reachable from the entry).
[[nodiscard]] nlohmann::json inspect_vector_index(const std::filesystem::path& file);
// An index directory (its manifest names it): the graph file inspected, the in-memory part's bytes
// and the spec it was built from.
[[nodiscard]] nlohmann::json inspect_index_directory(const std::filesystem::path& dir);
[[nodiscard]] bool looks_like_vector_index(const std::filesystem::path& file);

}  // namespace aistor::formats
