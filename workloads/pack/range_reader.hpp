#pragma once
// Reads byte ranges of files through an engine into memory: one sequential pass per file, in
// `block`-sized requests (aligned for O_DIRECT, the last one allowed to end at end of file) kept
// `queue_depth` deep by a Pump, completions copied into a window that ranges are served from.
// Ranges must be asked for in increasing order within a file. What the engine moved is recorded
// as reads; a request that fails, or a stop, ends the pass with PumpStopped.
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "engines/pump.hpp"

namespace aistor {

// The pass ended early: how the pump ended (error, interrupted).
struct PumpStopped {
  PumpOutcome outcome;
};

class RangeReader {
 public:
  // `window` bytes of memory are kept (at least what the largest range asked for needs).
  RangeReader(Engine& engine, unsigned queue_depth, std::uint32_t block, std::uint64_t window,
              Recorder& recorder, const std::atomic<bool>& stop, ProgressCounters* progress,
              bool stop_on_error);
  RangeReader(const RangeReader&) = delete;
  RangeReader& operator=(const RangeReader&) = delete;
  ~RangeReader();

  // Starts a pass over [begin, end) of `path` (`file_bytes` long). Throws SystemError when it
  // cannot be opened, InputError when `block` is not a multiple of its O_DIRECT alignment.
  void open(const std::filesystem::path& path, std::uint64_t file_bytes, std::uint64_t begin,
            std::uint64_t end);
  // The bytes [offset, offset + n), read if they are not yet; valid until the next call. Throws
  // PumpStopped, InputError when the file ends early (it shrank since it was indexed).
  [[nodiscard]] std::span<const std::byte> get(std::uint64_t offset, std::uint64_t n);
  void close();

 private:
  class Source;
  void fill(std::uint64_t need_end);

  Engine& engine_;
  Pump pump_;
  std::uint32_t block_;
  Recorder& recorder_;
  bool stop_on_error_;
  std::uint32_t alignment_ = 0;  // found at the first open: every file of a pass is on one target
  std::vector<std::byte> window_;
  std::filesystem::path path_;
  bool open_ = false;
  FileId id_ = 0;
  std::uint64_t file_bytes_ = 0, end_ = 0;
  std::uint64_t window_at_ = 0;  // the file offset of window_[0]
  std::uint64_t filled_ = 0;     // bytes of window_ holding data
  std::uint64_t frontier_ = 0;   // the next offset to request
};

}  // namespace aistor
