#pragma once
// What a checkpoint written by aistor holds, so that a restore can prove it read it back exactly.
//
// A shard file is a run of blocks of `block` bytes (the last may be shorter). Every block starts
// with a 32-byte header — "AISTORCK", the rank, the block's index and its offset — and continues
// with the first bytes of fill_random(content_seed, block): so two swapped blocks, a block at the
// wrong offset and a block of another shard are told apart by the header, and a flipped bit by the
// block's CRC-32C, which the manifest (aistor-checkpoint.json) lists. The manifest is computed
// from this definition, never by reading the data back.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/engine.hpp"

namespace aistor {

inline constexpr const char* kCheckpointManifest = "aistor-checkpoint.json";
inline constexpr std::size_t kBlockHeaderBytes = 32;

struct ShardFile {
  std::string name;  // relative to the checkpoint directory
  unsigned rank = 0;
  std::uint64_t bytes = 0;
  std::vector<std::uint32_t> block_crc32c;
};

struct CheckpointManifest {
  std::uint64_t block = 0;
  std::uint64_t content_seed = 0;
  nlohmann::json layout;  // the spec that made it (size, model, parallel)
  std::vector<ShardFile> files;
};

// Writes the header of block `index` of `rank` into `block` (at least kBlockHeaderBytes long,
// else only what fits).
void stamp_block(std::span<std::byte> block, unsigned rank, std::uint64_t index,
                 std::uint64_t offset) noexcept;

// The CRC-32C of every block of a shard of `bytes`, from the definition above.
[[nodiscard]] std::vector<std::uint32_t> expected_block_crcs(unsigned rank, std::uint64_t bytes,
                                                             std::uint64_t block,
                                                             std::uint64_t content_seed);

// Writes the manifest atomically (temporary name, fsync, rename, fsync of the directory).
void write_checkpoint_manifest(const std::filesystem::path& dir, const CheckpointManifest& m);
// nullopt when `dir` has no manifest; InputError when it is malformed.
[[nodiscard]] std::optional<CheckpointManifest> read_checkpoint_manifest(
    const std::filesystem::path& dir);

// Reads the shard back (pread, untimed) and checks its size, every header and every CRC.
// InputError "<file>: offset <o>: <what>" at the first fault (truncated, blocks out of place,
// checksum mismatch); SystemError on a read error.
void verify_shard(const std::filesystem::path& dir, const ShardFile& shard, std::uint64_t block,
                  std::uint64_t content_seed);

// Fills `state` (memory of `engine`'s allocate(), GPU memory on a GPU engine) with the shard's
// bytes as a save writes them, through Engine::upload, a few blocks at a time. Honours `stop`
// between copies (InputError "interrupted").
void fill_state(Engine& engine, std::byte* state, const ShardFile& shard, std::uint64_t block,
                std::uint64_t content_seed, const std::atomic<bool>& stop);

// Checks what a restore landed in `state` (copied back with Engine::download): every header and
// CRC. InputError "<path>: offset <o>: <what> (in GPU memory after the restore)" at the first
// fault.
void verify_landed(Engine& engine, const std::byte* state, const std::filesystem::path& path,
                   const ShardFile& shard, std::uint64_t block);

}  // namespace aistor
