#include "workloads/raw/raw_verify.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>

#include "core/aligned_buffer.hpp"
#include "core/error.hpp"
#include "core/page_cache.hpp"
#include "core/posix_io.hpp"
#include "core/splitmix.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/crc.hpp"

namespace aistor {
namespace {

constexpr char kMagic[8] = {'A', 'I', 'S', 'T', 'O', 'R', 'V', 'B'};
constexpr std::size_t kHeader = 48;
constexpr std::size_t kCrcAt = 40;
constexpr std::size_t kMaxFirst = 8;

template <typename T>
void put(std::byte* at, T v) noexcept {
  std::memcpy(at, &v, sizeof v);
}
template <typename T>
T get(const std::byte* at) noexcept {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

std::uint64_t sector_tag(std::uint64_t seed, std::uint64_t sequence, std::uint64_t at) noexcept {
  return mix64(seed ^ mix64(sequence) ^ (at * kGolden64));
}

// The block's CRC-32C with its CRC field read as zero.
std::uint32_t block_crc(std::span<const std::byte> block) noexcept {
  static constexpr std::byte kZero[4] = {};
  std::uint32_t crc = formats::crc32c(block.first(kCrcAt));
  crc = formats::crc32c(kZero, crc);
  return formats::crc32c(block.subspan(kCrcAt + 4), crc);
}

}  // namespace

const char* to_string(BlockVerdict v) noexcept {
  switch (v) {
    case BlockVerdict::lost:
      return "lost";
    case BlockVerdict::stale:
      return "stale";
    case BlockVerdict::misdirected:
      return "misdirected";
    case BlockVerdict::torn:
      return "torn";
    case BlockVerdict::corrupt:
      return "corrupt";
    case BlockVerdict::ok:
      break;
  }
  return "ok";
}

void stamp_verified_block(std::span<std::byte> block, const BlockStamp& s) noexcept {
  if (block.size() < kHeader) return;
  std::byte* b = block.data();
  std::memcpy(b, kMagic, 8);
  put(b + 8, s.offset);
  put(b + 16, s.seed);
  put(b + 24, s.sequence);
  put(b + 32, static_cast<std::uint32_t>(block.size()));
  put(b + 36, s.worker);
  put(b + 44, std::uint32_t{0});
  for (std::size_t at = kVerifySector; at + 8 <= block.size(); at += kVerifySector)
    put(b + at, sector_tag(s.seed, s.sequence, s.offset + at));
  put(b + kCrcAt, block_crc(block));
}

BlockCheck check_verified_block(std::span<const std::byte> block, const BlockStamp& want) {
  const std::byte* b = block.data();
  if (block.size() < kHeader || std::memcmp(b, kMagic, 8) != 0) {
    return {BlockVerdict::lost, "no block header: the write never reached the disk"};
  }
  const auto offset = get<std::uint64_t>(b + 8);
  const auto seed = get<std::uint64_t>(b + 16);
  const auto sequence = get<std::uint64_t>(b + 24);
  const auto length = get<std::uint32_t>(b + 32);
  const auto worker = get<std::uint32_t>(b + 36);
  if (seed != want.seed) {
    return {BlockVerdict::stale, fmt::format("holds a block of another run (seed {:#x}, this run "
                                             "{:#x}): the write never reached the disk",
                                             seed, want.seed)};
  }
  if (offset != want.offset) {
    return {BlockVerdict::misdirected,
            fmt::format("holds the block written for offset {} (write #{} of worker {})", offset,
                        sequence, worker)};
  }
  if (length != block.size() || worker != want.worker) {
    return {BlockVerdict::corrupt,
            fmt::format("header says {} bytes by worker {}, want {} by worker {}", length, worker,
                        block.size(), want.worker)};
  }
  if (sequence != want.sequence) {
    return {sequence < want.sequence ? BlockVerdict::stale : BlockVerdict::corrupt,
            fmt::format("holds write #{} of this worker, the last write here was #{}", sequence,
                        want.sequence)};
  }
  for (std::size_t at = kVerifySector; at + 8 <= block.size(); at += kVerifySector) {
    if (get<std::uint64_t>(b + at) != sector_tag(want.seed, want.sequence, want.offset + at)) {
      return {BlockVerdict::torn,
              fmt::format("the write's bytes end at byte {} of {}: older data from there on", at,
                          block.size())};
    }
  }
  if (get<std::uint32_t>(b + kCrcAt) != block_crc(block)) {
    return {BlockVerdict::corrupt, "checksum mismatch: bytes changed inside the block"};
  }
  return {};
}

std::uint64_t VerifyTally::bad_blocks() const {
  std::uint64_t n = 0;
  for (std::size_t v = 1; v < 6; ++v)
    n += bad[v];
  return n;
}

nlohmann::json VerifyTally::to_json() const {
  nlohmann::json j{
      {"blocks_checked", checked}, {"blocks_skipped", skipped}, {"bad_blocks", bad_blocks()}};
  for (std::size_t v = 1; v < 6; ++v)
    j["bad"][to_string(static_cast<BlockVerdict>(v))] = bad[v];
  j["first"] = first;
  return j;
}

void verify_written_blocks(const WrittenBlocks& w, std::uint64_t seed, VerifyTally& tally) {
  drop_from_cache(w.file);  // fdatasync, then the pages go: what is read back comes from storage
  UniqueFd fd(::open(w.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", w.file.string());
  constexpr std::size_t kChunk = 8 << 20;
  const std::size_t per = std::max<std::size_t>(1, kChunk / w.block);
  AlignedBuffer buf(per * w.block, 4096);
  for (std::size_t first = 0; first < w.last_write.size(); first += per) {
    const std::size_t n = std::min(per, w.last_write.size() - first);
    const std::uint64_t at = w.start + first * w.block;
    const auto res = pread_full(fd.get(), buf.data(), n * w.block, at);
    if (res < 0) throw_system(static_cast<int>(-res), "pread", w.file.string());
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t seq = w.last_write[first + i];
      if (seq == 0) continue;
      if (seq == WrittenBlocks::kUnknownWrite) {
        ++tally.skipped;
        continue;
      }
      ++tally.checked;
      const std::uint64_t offset = at + i * w.block;
      BlockCheck c;
      if (static_cast<std::uint64_t>(res) < (i + 1) * w.block) {
        c = {BlockVerdict::lost, fmt::format("the file ends at {}, inside the block",
                                             at + static_cast<std::uint64_t>(res))};
      } else {
        c = check_verified_block({buf.data() + i * w.block, w.block},
                                 {seed, offset, seq, w.worker});
      }
      if (c.verdict == BlockVerdict::ok) continue;
      ++tally.bad[static_cast<std::size_t>(c.verdict)];
      if (tally.first.size() < kMaxFirst) {
        tally.first.push_back(fmt::format("{}: offset {}: {} write: {}", w.file.string(), offset,
                                          to_string(c.verdict), c.detail));
      }
    }
  }
}

}  // namespace aistor
