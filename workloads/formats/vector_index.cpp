#include "workloads/formats/vector_index.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "core/checksum64.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/mapping.hpp"

namespace aistor::formats {
namespace {

constexpr char kMagic[8] = {'A', 'I', 'S', 'T', 'O', 'R', 'V', 'I'};
constexpr std::size_t kHeaderFields = 64;  // the bytes the checksum covers

template <typename T>
void put(std::byte* at, T v) {
  std::memcpy(at, &v, sizeof v);
}
template <typename T>
T get(const std::byte* at) {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

}  // namespace

const char* to_string(VectorDtype d) noexcept {
  return d == VectorDtype::uint8 ? "uint8" : "float32";
}
const char* to_string(VectorMetric m) noexcept {
  return m == VectorMetric::cosine ? "cosine" : "l2";
}
std::uint32_t dtype_bytes(VectorDtype d) noexcept {
  return d == VectorDtype::uint8 ? 1 : 4;
}

std::uint64_t VectorIndexHeader::record_offset(std::uint64_t id) const noexcept {
  const std::uint32_t per = nodes_per_sector();
  if (per != 0) return kIndexSector * (1 + id / per) + (id % per) * record_bytes();
  return kIndexSector * (1 + id * sectors_per_node());
}

std::uint64_t VectorIndexHeader::file_bytes() const noexcept {
  const std::uint32_t per = nodes_per_sector();
  const std::uint64_t sectors = per != 0 ? (count + per - 1) / per : count * sectors_per_node();
  return kIndexSector * (1 + sectors);
}

std::array<std::byte, kIndexSector> VectorIndexHeader::encode() const {
  std::array<std::byte, kIndexSector> s{};
  std::memcpy(s.data(), kMagic, 8);
  put<std::uint32_t>(s.data() + 8, kIndexVersion);
  put<std::uint32_t>(s.data() + 12, dim);
  put<std::uint32_t>(s.data() + 16, static_cast<std::uint32_t>(dtype));
  put<std::uint32_t>(s.data() + 20, static_cast<std::uint32_t>(metric));
  put<std::uint64_t>(s.data() + 24, count);
  put<std::uint32_t>(s.data() + 32, degree);
  put<std::uint32_t>(s.data() + 36, record_bytes());
  put<std::uint32_t>(s.data() + 40, nodes_per_sector());
  put<std::uint32_t>(s.data() + 44, sectors_per_node());
  put<std::uint64_t>(s.data() + 48, entry);
  put<std::uint64_t>(s.data() + 56, file_bytes());
  put<std::uint64_t>(s.data() + kHeaderFields, checksum64(s.data(), kHeaderFields));
  return s;
}

VectorIndexHeader VectorIndexHeader::decode(std::span<const std::byte> sector,
                                            const std::string& file) {
  auto fail = [&](std::size_t offset, const std::string& what) {
    throw InputError(fmt::format("{}: offset {}: {}", file, offset, what));
  };
  if (sector.size() < kIndexSector) fail(0, "shorter than the 4096-byte index header");
  const std::byte* s = sector.data();
  if (std::memcmp(s, kMagic, 8) != 0) fail(0, "not an aistor vector index (bad magic)");
  if (get<std::uint64_t>(s + kHeaderFields) != checksum64(s, kHeaderFields))
    fail(kHeaderFields, "header checksum mismatch (the header is damaged)");
  if (const auto v = get<std::uint32_t>(s + 8); v != kIndexVersion)
    fail(8, fmt::format("index version {} (this aistor reads {})", v, kIndexVersion));
  VectorIndexHeader h;
  h.dim = get<std::uint32_t>(s + 12);
  const auto dtype = get<std::uint32_t>(s + 16);
  const auto metric = get<std::uint32_t>(s + 20);
  h.count = get<std::uint64_t>(s + 24);
  h.degree = get<std::uint32_t>(s + 32);
  h.entry = get<std::uint64_t>(s + 48);
  if (h.dim == 0 || h.dim > kMaxIndexDim) fail(12, fmt::format("dimension {}", h.dim));
  if (dtype > 1) fail(16, fmt::format("unknown dtype {}", dtype));
  if (metric > 1) fail(20, fmt::format("unknown metric {}", metric));
  h.dtype = static_cast<VectorDtype>(dtype);
  h.metric = static_cast<VectorMetric>(metric);
  if (h.count == 0 || h.count > UINT32_MAX) fail(24, fmt::format("node count {}", h.count));
  if (h.degree == 0 || h.degree > kMaxIndexDegree) fail(32, fmt::format("degree {}", h.degree));
  if (get<std::uint32_t>(s + 36) != h.record_bytes() ||
      get<std::uint32_t>(s + 40) != h.nodes_per_sector() ||
      get<std::uint32_t>(s + 44) != h.sectors_per_node())
    fail(36, "record layout does not follow from dim, dtype and degree");
  if (h.entry >= h.count) fail(48, fmt::format("entry node {} of {} nodes", h.entry, h.count));
  if (get<std::uint64_t>(s + 56) != h.file_bytes())
    fail(56, "file size does not follow from the layout");
  return h;
}

std::uint32_t NodeRecord::neighbour(std::uint32_t i) const noexcept {
  return get<std::uint32_t>(neighbour_bytes + 4 * std::size_t{i});
}

NodeRecord parse_record(const VectorIndexHeader& h, std::uint64_t id,
                        std::span<const std::byte> read, const std::string& file) {
  const std::uint64_t at = h.record_offset(id) - h.read_offset(id);
  if (at + h.record_bytes() > read.size()) {
    throw InputError(fmt::format("{}: offset {}: node {}'s record is past the end of what was read",
                                 file, h.record_offset(id), id));
  }
  const std::size_t vec = std::size_t{h.dim} * dtype_bytes(h.dtype);
  NodeRecord r;
  r.vector = read.subspan(at, vec);
  r.degree = get<std::uint32_t>(read.data() + at + vec);
  r.neighbour_bytes = read.data() + at + vec + 4;
  if (r.degree > h.degree) {
    throw InputError(fmt::format("{}: offset {}: node {} has degree {} (the index's is {})", file,
                                 h.record_offset(id) + vec, id, r.degree, h.degree));
  }
  for (std::uint32_t i = 0; i < r.degree; ++i) {
    const std::uint32_t n = r.neighbour(i);
    if (n >= h.count) {
      throw InputError(
          fmt::format("{}: offset {}: node {}'s neighbour id {} is out of range ({} "
                      "nodes)",
                      file, h.record_offset(id) + vec + 4 + 4 * i, id, n, h.count));
    }
  }
  return r;
}

bool looks_like_vector_index(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::file_size(file, ec) < 8 || ec) return false;
  const Mapping map = map_file(file);
  return std::memcmp(map.data(), kMagic, 8) == 0;
}

nlohmann::json inspect_vector_index(const std::filesystem::path& file) {
  const Mapping map = map_file(file);
  const std::span<const std::byte> all(map.data(), map.size());
  const std::string name = file.string();
  const VectorIndexHeader h = VectorIndexHeader::decode(all, name);
  if (all.size() < h.file_bytes()) {
    throw InputError(fmt::format("{}: offset {}: truncated: the layout needs {} bytes", name,
                                 all.size(), h.file_bytes()));
  }
  std::map<std::uint32_t, std::uint64_t> degrees;
  std::uint64_t edges = 0;
  std::vector<bool> seen(h.count, false);
  std::deque<std::uint64_t> queue{h.entry};
  seen[h.entry] = true;
  std::uint64_t reached = 1;
  for (std::uint64_t id = 0; id < h.count; ++id) {
    const NodeRecord r = parse_record(h, id, all.subspan(h.read_offset(id)), name);
    ++degrees[r.degree];
    edges += r.degree;
  }
  while (!queue.empty()) {  // every node reachable from the entry: a search can find it
    const std::uint64_t id = queue.front();
    queue.pop_front();
    const NodeRecord r = parse_record(h, id, all.subspan(h.read_offset(id)), name);
    for (std::uint32_t i = 0; i < r.degree; ++i) {
      const std::uint32_t n = r.neighbour(i);
      if (!seen[n]) {
        seen[n] = true;
        ++reached;
        queue.push_back(n);
      }
    }
  }
  nlohmann::json hist = nlohmann::json::object();
  for (const auto& [d, n] : degrees)
    hist[std::to_string(d)] = n;
  return {{"path", name},
          {"format", "aistor-vector-index"},
          {"nodes", h.count},
          {"dim", h.dim},
          {"dtype", to_string(h.dtype)},
          {"metric", to_string(h.metric)},
          {"max_degree", h.degree},
          {"mean_degree", static_cast<double>(edges) / static_cast<double>(h.count)},
          {"degree_histogram", hist},
          {"record_bytes", h.record_bytes()},
          {"nodes_per_sector", h.nodes_per_sector()},
          {"sectors_per_node", h.sectors_per_node()},
          {"entry", h.entry},
          {"file_bytes", h.file_bytes()},
          {"reachable_from_entry", reached},
          {"checked", "the header, every record's degree and neighbour ids, reachability"}};
}

nlohmann::json inspect_index_directory(const std::filesystem::path& dir) {
  const auto manifest_path = dir / kIndexManifest;
  std::ifstream in(manifest_path);
  auto manifest = nlohmann::json::parse(in, json_depth_guard(manifest_path.string()), false);
  if (!in || manifest.is_discarded() || !manifest.is_object() ||
      manifest.value("generator", "") != "aistor") {
    throw InputError(fmt::format("{}: not a valid aistor index manifest", manifest_path.string()));
  }
  if (!manifest.value("complete", false)) {
    throw InputError(fmt::format("{}: the index's build did not finish", dir.string()));
  }
  auto j = inspect_vector_index(dir / kIndexGraphFile);
  std::error_code ec;
  const auto pq = std::filesystem::file_size(dir / kIndexPqFile, ec);
  if (ec)
    throw InputError(fmt::format("{}: missing ({})", (dir / kIndexPqFile).string(), ec.message()));
  j["path"] = dir.string();
  j["pq_bytes"] = pq;
  j["spec"] = manifest.value("spec", nlohmann::json());
  return j;
}

}  // namespace aistor::formats
