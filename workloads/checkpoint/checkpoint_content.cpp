#include "workloads/checkpoint/checkpoint_content.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "core/aligned_buffer.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/posix_io.hpp"
#include "core/random_bytes.hpp"
#include "core/unique_fd.hpp"
#include "engines/pump.hpp"
#include "workloads/formats/crc.hpp"

namespace aistor {
namespace {

constexpr char kMagic[8] = {'A', 'I', 'S', 'T', 'O', 'R', 'C', 'K'};

struct Header {
  char magic[8];
  std::uint32_t rank;
  std::uint32_t reserved;
  std::uint64_t index;
  std::uint64_t offset;
};
static_assert(sizeof(Header) == kBlockHeaderBytes);

}  // namespace

void stamp_block(std::span<std::byte> block, unsigned rank, std::uint64_t index,
                 std::uint64_t offset) noexcept {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.rank = rank;
  h.index = index;
  h.offset = offset;
  std::memcpy(block.data(), &h, std::min(block.size(), sizeof h));
}

std::vector<std::uint32_t> expected_block_crcs(unsigned rank, std::uint64_t bytes,
                                               std::uint64_t block, std::uint64_t content_seed) {
  std::vector<std::byte> body(block);
  fill_random(body.data(), body.size(), content_seed);
  std::vector<std::byte> expected = body;
  std::vector<std::uint32_t> crcs;
  for (std::uint64_t k = 0, off = 0; off < bytes; ++k, off += block) {
    const std::uint64_t len = std::min(block, bytes - off);
    std::memcpy(expected.data(), body.data(), std::min<std::uint64_t>(kBlockHeaderBytes, len));
    stamp_block(std::span(expected).first(len), rank, k, off);
    crcs.push_back(formats::crc32c(std::span(expected).first(len)));
  }
  return crcs;
}

void write_checkpoint_manifest(const std::filesystem::path& dir, const CheckpointManifest& m) {
  nlohmann::json j{{"version", 1},
                   {"block", m.block},
                   {"content_seed", m.content_seed},
                   {"layout", m.layout},
                   {"files", nlohmann::json::array()}};
  for (const auto& f : m.files) {
    j["files"].push_back(
        {{"name", f.name}, {"rank", f.rank}, {"bytes", f.bytes}, {"block_crc32c", f.block_crc32c}});
  }
  write_file_durably(dir / kCheckpointManifest, j.dump() + "\n");
}

std::optional<CheckpointManifest> read_checkpoint_manifest(const std::filesystem::path& dir) {
  const auto path = dir / kCheckpointManifest;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(in, json_depth_guard(path.string()));
    CheckpointManifest m;
    m.block = j.at("block").get<std::uint64_t>();
    m.content_seed = j.at("content_seed").get<std::uint64_t>();
    m.layout = j.at("layout");
    for (const auto& f : j.at("files")) {
      m.files.push_back({f.at("name").get<std::string>(), f.at("rank").get<unsigned>(),
                         f.at("bytes").get<std::uint64_t>(),
                         f.at("block_crc32c").get<std::vector<std::uint32_t>>()});
    }
    if (m.block == 0) throw InputError("block is 0");
    return m;
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: malformed checkpoint manifest: {}", path.string(), e.what()));
  }
}

namespace {

// Checks block `k` at `off` of the shard, as found in `got`: its header, then its CRC. `where`
// names the file in messages; `suffix` ends them.
void check_block(const std::string& where, const ShardFile& shard, std::uint64_t k,
                 std::uint64_t off, std::span<const std::byte> got, std::string_view suffix) {
  Header h{};
  std::memcpy(&h, got.data(), std::min(got.size(), sizeof h));
  if (got.size() >= sizeof h && (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 ||
                                 h.rank != shard.rank || h.index != k || h.offset != off)) {
    const bool ours = std::memcmp(h.magic, kMagic, sizeof kMagic) == 0;
    throw InputError(
        ours ? fmt::format("{}: offset {}: block {} of rank {} is here, block {} of rank {} was "
                           "written here: blocks out of place{}",
                           where, off, h.index, h.rank, k, shard.rank, suffix)
             : fmt::format("{}: offset {}: block {} has no block header: overwritten{}", where, off,
                           k, suffix));
  }
  const std::uint32_t crc = formats::crc32c(got);
  if (k >= shard.block_crc32c.size() || crc != shard.block_crc32c[k]) {
    throw InputError(fmt::format(
        "{}: offset {}: block {} checksum mismatch (manifest {:#010x}, read {:#010x}){}", where,
        off, k, k < shard.block_crc32c.size() ? shard.block_crc32c[k] : 0U, crc, suffix));
  }
}

// Whole blocks per copy between host and the engine's memory: about 64 MiB.
std::uint64_t blocks_per_copy(std::uint64_t block) {
  return std::max<std::uint64_t>(1, (std::uint64_t{64} << 20) / block);
}

}  // namespace

void verify_shard(const std::filesystem::path& dir, const ShardFile& shard, std::uint64_t block,
                  std::uint64_t content_seed) {
  const auto path = dir / shard.name;
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", path.string());
  const auto size = static_cast<std::uint64_t>(::lseek(fd.get(), 0, SEEK_END));
  if (size != shard.bytes) {
    throw InputError(fmt::format("{}: offset {}: {} ({} bytes, the manifest says {})",
                                 path.string(), std::min(size, shard.bytes),
                                 size < shard.bytes ? "truncated" : "longer than written", size,
                                 shard.bytes));
  }
  const std::string where = path.string();
  std::vector<std::byte> got(block);
  for (std::uint64_t k = 0, off = 0; off < shard.bytes; ++k, off += block) {
    const std::uint64_t len = std::min(block, shard.bytes - off);
    const auto n = pread_full(fd.get(), got.data(), len, off);
    if (n < 0) throw_system(static_cast<int>(-n), "pread", path.string());
    if (static_cast<std::uint64_t>(n) < len) {
      throw InputError(fmt::format("{}: offset {}: truncated", path.string(), off + n));
    }
    check_block(where, shard, k, off, std::span(got).first(len), "");
  }
  (void)content_seed;
}

void fill_state(Engine& engine, std::byte* state, const ShardFile& shard, std::uint64_t block,
                std::uint64_t content_seed, const std::atomic<bool>& stop) {
  std::vector<std::byte> body(block);
  fill_random(body.data(), body.size(), content_seed);
  const std::uint64_t per_copy = blocks_per_copy(block);
  std::vector<std::byte> chunk(per_copy * block);
  for (std::uint64_t k = 0, off = 0; off < shard.bytes;) {
    if (stop.load(std::memory_order_relaxed)) throw InputError("interrupted");
    std::uint64_t n = 0;  // bytes of this chunk
    for (std::uint64_t i = 0; i < per_copy && off + n < shard.bytes; ++i, ++k) {
      const std::uint64_t len = std::min(block, shard.bytes - off - n);
      std::memcpy(chunk.data() + n, body.data(), len);
      stamp_block(std::span(chunk).subspan(n, len), shard.rank, k, off + n);
      n += len;
    }
    engine.upload(state + off, std::span(chunk).first(n));
    off += n;
  }
}

void verify_landed(Engine& engine, const std::byte* state, const std::filesystem::path& path,
                   const ShardFile& shard, std::uint64_t block) {
  const std::string where = path.string();
  const std::uint64_t per_copy = blocks_per_copy(block);
  std::vector<std::byte> chunk(per_copy * block);
  for (std::uint64_t k = 0, off = 0; off < shard.bytes;) {
    const std::uint64_t n = std::min(per_copy * block, shard.bytes - off);
    engine.download(std::span(chunk).first(n), state + off);
    for (std::uint64_t at = 0; at < n; at += block, ++k) {
      check_block(where, shard, k, off + at, std::span(chunk).subspan(at, std::min(block, n - at)),
                  " (in GPU memory after the restore)");
    }
    off += n;
  }
}

}  // namespace aistor
