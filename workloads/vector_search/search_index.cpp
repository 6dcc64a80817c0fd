#include "workloads/vector_search/search_index.hpp"

#include <fcntl.h>

#include <array>
#include <deque>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/vector_index_build.hpp"

namespace aistor {

SearchIndex::SearchIndex(const std::filesystem::path& dir, std::uint64_t cache_nodes)
    : spec_(formats::read_index_spec(dir)), graph_(dir / formats::kIndexGraphFile) {
  const std::string name = graph_.string();
  const UniqueFd fd(::open(graph_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", name);
  std::array<std::byte, formats::kIndexSector> head{};
  const auto got = pread_full(fd.get(), head.data(), head.size(), 0);
  if (got < 0) throw_errno("pread", name);
  header_ = formats::VectorIndexHeader::decode(
      std::span<const std::byte>(head.data(), static_cast<std::size_t>(got)), name);
  const auto size = std::filesystem::file_size(graph_);
  if (size < header_.file_bytes()) {
    throw InputError(fmt::format("{}: offset {}: truncated: the layout needs {} bytes", name, size,
                                 header_.file_bytes()));
  }
  if (header_.dim != spec_.dim || header_.count != spec_.count || header_.degree != spec_.degree ||
      header_.dtype != spec_.dtype) {
    throw InputError(fmt::format(
        "{}: offset 12: the header's shape ({} x {}, degree {}) is not "
        "the manifest's ({} x {}, degree {})",
        name, header_.count, header_.dim, header_.degree, spec_.count, spec_.dim, spec_.degree));
  }
  pq_ = formats::PqFile::read(dir / formats::kIndexPqFile);
  if (pq_.count != header_.count || pq_.pq.dim() != header_.dim) {
    throw InputError(fmt::format("{}: offset 12: {} codes of {} dimensions for an index of {} x {}",
                                 (dir / formats::kIndexPqFile).string(), pq_.count, pq_.pq.dim(),
                                 header_.count, header_.dim));
  }
  fill_cache(std::min<std::uint64_t>(cache_nodes, header_.count));
}

void SearchIndex::fill_cache(std::uint64_t nodes) {
  if (nodes == 0) return;
  const std::string name = graph_.string();
  const UniqueFd fd(::open(graph_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", name);
  const std::uint32_t bytes = header_.read_bytes();
  cache_.resize(nodes * bytes);
  std::deque<std::uint32_t> queue{static_cast<std::uint32_t>(header_.entry)};
  cache_index_.reserve(nodes);
  cache_index_.emplace(static_cast<std::uint32_t>(header_.entry), 0);
  std::size_t filled = 0;
  while (!queue.empty() && filled < nodes) {
    const std::uint32_t id = queue.front();
    queue.pop_front();
    std::byte* at = &cache_[cache_index_.at(id)];
    if (pread_full(fd.get(), at, bytes, header_.read_offset(id)) != bytes)
      throw_errno("pread", name);
    ++filled;
    const auto r = formats::parse_record(header_, id, {at, bytes}, name);
    for (std::uint32_t i = 0; i < r.degree && cache_index_.size() < nodes; ++i) {
      const std::uint32_t n = r.neighbour(i);
      if (cache_index_.emplace(n, cache_index_.size() * std::size_t{bytes}).second)
        queue.push_back(n);
    }
  }
  cache_.resize(filled * std::size_t{bytes});
  if (cache_index_.size() > filled) {  // the walk ended early: drop ids never read
    for (auto it = cache_index_.begin(); it != cache_index_.end();)
      it = it->second >= cache_.size() ? cache_index_.erase(it) : std::next(it);
  }
}

std::span<const std::byte> SearchIndex::cached(std::uint32_t id) const {
  if (cache_index_.empty()) return {};
  const auto it = cache_index_.find(id);
  if (it == cache_index_.end()) return {};
  return {&cache_[it->second], header_.read_bytes()};
}

std::uint64_t SearchIndex::memory_bytes() const noexcept {
  return pq_.codes.size() + pq_.pq.memory_bytes() + cache_.size();
}

}  // namespace aistor
