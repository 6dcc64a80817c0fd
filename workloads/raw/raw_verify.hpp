#pragma once
// Write verification for the raw workload, as fio's verify: every block a verifying write phase
// writes carries who wrote it, and after the phase (fsync, the file's pages evicted, untimed) each
// block is read back and judged against the last write the phase made there.
//
// A block of L bytes (a multiple of 512) holds a 48-byte header — "AISTORVB", the offset it was
// written for, the run's seed, the write's sequence number (per worker, from 1), L, the worker,
// and a CRC-32C of the block with the CRC field zeroed — and the first 8 bytes of every later
// 512-byte sector carry a tag of (seed, sequence, sector offset). So a block that landed elsewhere
// (misdirected), an older write still in place (stale: a lost write), a block whose tail is still
// older data (torn, with the byte where it turns) and flipped bits (corrupt) are told apart.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

inline constexpr std::uint32_t kVerifySector = 512;

struct BlockStamp {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  std::uint64_t sequence = 0;
  std::uint32_t worker = 0;
};

// Stamps `block` (its size a multiple of kVerifySector) as the write `stamp` describes.
void stamp_verified_block(std::span<std::byte> block, const BlockStamp& stamp) noexcept;

enum class BlockVerdict : std::uint8_t { ok, lost, stale, misdirected, torn, corrupt };
[[nodiscard]] const char* to_string(BlockVerdict v) noexcept;

struct BlockCheck {
  BlockVerdict verdict = BlockVerdict::ok;
  std::string detail;  // what was found instead, when not ok
};

// Judges `block` as read back against the write expected there.
[[nodiscard]] BlockCheck check_verified_block(std::span<const std::byte> block,
                                              const BlockStamp& expected);

// What one worker wrote: its file, its region's start, its block size, and for each block of the
// region the sequence number of the last write that completed there (0: never written; a write
// that failed makes the block unknown, kUnknownWrite, and it is skipped).
struct WrittenBlocks {
  static constexpr std::uint64_t kUnknownWrite = UINT64_MAX;
  std::filesystem::path file;
  std::uint64_t start = 0;
  std::uint32_t block = 0;
  std::uint32_t worker = 0;
  std::vector<std::uint64_t> last_write;
};

struct VerifyTally {
  std::uint64_t checked = 0;
  std::uint64_t skipped = 0;       // blocks whose last write failed
  std::uint64_t bad[6] = {};       // by BlockVerdict (bad[ok] unused)
  std::vector<std::string> first;  // "FILE: offset O: verdict: detail", at most 8
  [[nodiscard]] std::uint64_t bad_blocks() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

// Makes the file's writes durable, evicts its pages, reads every written block back and judges
// it. Throws SystemError when the file cannot be read.
void verify_written_blocks(const WrittenBlocks& w, std::uint64_t seed, VerifyTally& tally);

}  // namespace aistor
