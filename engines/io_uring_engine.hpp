#pragma once
// The io_uring engine: asynchronous reads and writes through one liburing ring per engine.
//
// Promises, beyond the Engine contract (engines/engine.hpp):
//  - The ring has at least queue_depth entries; max_in_flight() is queue_depth and submit()
//    throws std::length_error rather than exceed it (the completion queue can never overflow).
//  - Buffers from allocate() are owned by the engine, not by the Buffer: destroying a Buffer
//    frees nothing, and all of them are freed when the engine is destroyed. They must not be used
//    after the engine is gone. This keeps memory registered with the ring (fixed_buffers) from
//    being freed under it.
//  - fixed_buffers: every allocate() is registered with the ring at the next submit(); requests
//    whose buffer lies inside one allocation use READ_FIXED/WRITE_FIXED. registered_files: a file
//    goes into a sparse registered table at its second request (a file opened for one read, a
//    sample of a raw tree, is not worth the two registration syscalls) and its requests from then
//    on use IOSQE_FIXED_FILE. When the kernel refuses
//    either (RLIMIT_MEMLOCK, an old kernel) the engine falls back to plain buffers or fds and
//    describe() says so in "notes" and in the effective flags.
//  - The destructor waits for requests still in flight, so none lands in freed memory.
//  - Not thread-safe: one engine per thread.
#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/aligned_buffer.hpp"
#include "core/unique_fd.hpp"
#include "engines/directory_fds.hpp"
#include "engines/engine.hpp"
#include "engines/engine_config.hpp"
#include "engines/registry.hpp"

namespace aistor {

// Owns one io_uring instance; the destructor tears it down.
class UringRing final {
 public:
  // Throws SystemError (saying so when the kernel refuses SQPOLL).
  UringRing(unsigned entries, bool sqpoll);
  ~UringRing() { io_uring_queue_exit(&ring_); }
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  [[nodiscard]] io_uring* get() noexcept { return &ring_; }
  [[nodiscard]] const io_uring* get() const noexcept { return &ring_; }

 private:
  io_uring ring_{};
};

class IoUringEngine final : public Engine {
 public:
  // Throws SystemError when the ring cannot be created.
  explicit IoUringEngine(const EngineConfig& config);
  ~IoUringEngine() override;
  IoUringEngine(const IoUringEngine&) = delete;
  IoUringEngine& operator=(const IoUringEngine&) = delete;

  // Does not create the file. Throws SystemError; with direct, EINVAL means the filesystem
  // refuses O_DIRECT.
  [[nodiscard]] FileId open(const std::filesystem::path& path, Access access) override;
  [[nodiscard]] Buffer allocate(std::size_t bytes) override;
  // Throws std::length_error past max_in_flight(), std::invalid_argument for a file not open.
  void submit(std::span<const IoRequest> requests) override;
  [[nodiscard]] std::size_t reap(std::span<IoResult> out, std::size_t at_least) override;
  void sync(FileId file) override;
  // Throws std::logic_error if requests on the file are still in flight.
  void close(FileId file) override;
  [[nodiscard]] std::size_t max_in_flight() const noexcept override { return slots_.size(); }
  [[nodiscard]] nlohmann::json describe() const override;

 private:
  struct OpenFile {
    UniqueFd fd;
    std::string path;
    bool registered = false;     // in the ring's file table at index == FileId
    std::uint32_t requests = 0;  // submitted so far (registration comes with the second)
  };
  struct Slot {
    IoRequest req;
    std::uint32_t done = 0;  // bytes already transferred (short I/O is resubmitted)
    bool busy = false;
  };
  struct Region {
    std::byte* begin = nullptr;
    std::size_t size = 0;
    unsigned index = 0;  // position in owned_, which is its index in the registered table
  };

  void register_file_table();
  void register_file(FileId id);
  void register_buffers();
  [[nodiscard]] int buffer_index(const std::byte* buf, std::size_t length) const noexcept;
  [[nodiscard]] io_uring_sqe* next_sqe();
  void prepare(std::uint32_t slot);
  void flush();
  void drain_completions();
  void handle_completion(std::uint32_t slot, int res, std::uint64_t now);
  void complete(std::uint32_t slot, std::int64_t res, std::uint64_t now);

  EngineConfig config_;
  DirectoryFds dirs_;
  std::vector<std::string> notes_;
  // Declared before ring_ so that they are released after it.
  std::vector<AlignedBuffer> owned_;
  std::vector<Region> regions_;  // sorted by begin
  std::vector<OpenFile> files_;  // indexed by FileId; a closed entry has no fd
  std::vector<Slot> slots_;      // queue_depth of them; user_data is the index
  std::vector<std::uint32_t> free_slots_;
  std::deque<IoResult> ready_;  // completed but not yet handed out by reap()
  std::size_t in_flight_ = 0;   // busy slots
  unsigned registered_buffers_ = 0;
  bool buffers_dirty_ = false;
  bool fixed_buffers_ok_ = false;
  bool file_table_ok_ = false;
  UringRing ring_;
};

[[nodiscard]] EngineInfo io_uring_engine_info();

}  // namespace aistor
