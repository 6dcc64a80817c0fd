#pragma once
// Where the pack workload writes: one TFRecord or FFRecord file at a time, framed here and written
// through an engine in `block`-sized sequential requests kept queue-deep by a Pump.
//
// The file is written as "<name>.tmp" and renamed when finish() has made it durable, so a failed
// or interrupted pack never leaves a file under the final name; abandon() (and the destructor)
// removes the temporary. TFRecord files get their "<name>.idx" sidecar (tfrecord.hpp). An FFRecord
// header is known only at the end: its blocks are held in memory and written last. With O_DIRECT
// the last block is padded and the file truncated to its size afterwards.
//
// Write-behind: with `behind` > 0, each queue's worth of whole blocks goes to a writer thread of
// the sink's own, and append() goes on framing (and the workload on reading) while up to `behind`
// such batches are being written — reads and writes of one pack overlap, as the kernel's
// writeback overlaps them for buffered writes. A failed write surfaces at the next append() or at
// finish(). With 0 every batch is written before append() returns.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engines/pump.hpp"

namespace aistor {

enum class PackTarget : std::uint8_t { tfrecord, ffrecord };

[[nodiscard]] const char* to_string(PackTarget t) noexcept;
// Bytes a target file of these samples takes (sizes: each sample's bytes).
[[nodiscard]] std::uint64_t target_file_bytes(PackTarget t, std::uint64_t samples,
                                              std::uint64_t payload_bytes) noexcept;

class PackSink {
 public:
  PackSink(Engine& engine, unsigned queue_depth, std::uint32_t block, Recorder& recorder,
           const std::atomic<bool>& stop, ProgressCounters* progress, bool stop_on_error,
           unsigned behind = 0);
  PackSink(const PackSink&) = delete;
  PackSink& operator=(const PackSink&) = delete;
  ~PackSink();

  // Starts `path` (through "<path>.tmp"), which will hold exactly `samples` samples. Throws
  // SystemError, InputError when `block` does not suit the engine's O_DIRECT alignment.
  void open(const std::filesystem::path& path, PackTarget target, std::uint64_t samples);
  // Frames and queues one sample; writes whole blocks as they fill. Throws PumpStopped
  // (range_reader.hpp) when a write fails or the phase stops, std::logic_error past `samples`.
  void append(std::span<const std::byte> sample);
  // Writes what is left (the FFRecord header last), syncs, closes, renames into place.
  void finish();
  // Closes and removes the temporary of a file not finished. Never throws.
  void abandon() noexcept;

 private:
  struct Batch {
    std::uint64_t offset = 0;
    std::vector<std::byte> bytes;
  };
  void put(std::span<const std::byte> bytes);
  void write(std::uint64_t offset, std::span<const std::byte> bytes);
  // Writes the batch, on the writer thread when there is one.
  void send(Batch batch);
  // Waits until the writer has nothing left; then rethrows what failed there (when `rethrow`).
  void drain(bool rethrow);
  void rethrow_failure();  // with mu_ held
  void writer_loop();

  Engine& engine_;
  Pump pump_;
  std::uint32_t block_;
  Recorder& recorder_;
  bool stop_on_error_;
  std::uint32_t alignment_ = 0;
  std::filesystem::path path_, tmp_;
  bool open_ = false;
  FileId id_ = 0;
  PackTarget target_ = PackTarget::tfrecord;
  std::uint64_t samples_ = 0, appended_ = 0;
  std::uint64_t end_ = 0;           // bytes of the file so far
  std::vector<std::byte> head_;     // the file's first bytes, held until finish() (FFRecord)
  std::vector<std::byte> pending_;  // bytes [pending_at_, end_) not yet written
  std::uint64_t pending_at_ = 0;
  std::vector<std::uint32_t> crcs_;     // FFRecord: per-sample CRC-32
  std::vector<std::uint64_t> offsets_;  // FFRecord: per-sample offset
  std::string index_;                   // TFRecord: the .idx lines

  // Guarded by mu_: batches queued for the writer thread (write-behind, behind_ > 0), and the
  // memory of written batches (either way) for the next ones.
  unsigned behind_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  std::vector<std::vector<std::byte>> spare_;
  bool writing_ = false;  // the writer holds a batch
  bool quit_ = false;
  std::optional<PumpOutcome> stopped_;  // a batch's writes ended early (PumpStopped)
  std::exception_ptr error_;            // or threw
  std::thread writer_;                  // last: it uses everything above
};

}  // namespace aistor
