#pragma once
// The engine interface: how bytes move between storage and memory. Engines never decide what to
// read; workloads never call the kernel.
//
// Contract:
//  - One engine instance is used by one thread (no internal locking). Create one per worker.
//  - submit() hands over requests; reap() returns completions. A completion is final: engines
//    retry EINTR/EAGAIN and finish short transfers themselves. `res` is the bytes transferred
//    (== length on success; less only when end of file was reached) or -errno.
//  - `done_ns` is the steady-clock time (core/clock.hpp) at which the engine saw the completion.
//  - Buffers come from allocate() so each engine can align, register or pin them; a request's
//    buffer must lie inside one Buffer of the same engine and outlive the request.
//  - Engine methods throw SystemError for failures of setup (open, mapping, ring creation);
//    errors of individual I/Os are reported in IoResult.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace aistor {

enum class Op : std::uint8_t { read, write };
enum class Access : std::uint8_t { read, write, read_write };
using FileId = std::uint32_t;

struct IoRequest {
  Op op = Op::read;
  FileId file = 0;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::byte* buf = nullptr;
  std::uint64_t tag = 0;
  // A read that may end early at end of file (an O_DIRECT read of a file's last, partial block):
  // a short result is its success, recorded with the bytes it got. Engines ignore it.
  bool to_eof = false;
};

struct IoResult {
  std::uint64_t tag = 0;
  std::int64_t res = 0;
  std::uint64_t done_ns = 0;
};

// Memory an engine handed out; move-only, released by the engine's own release function.
class Buffer {
 public:
  using Release = void (*)(std::byte*, std::size_t) noexcept;
  Buffer() noexcept = default;
  Buffer(std::byte* data, std::size_t size, Release release) noexcept
      : data_(data), size_(size), release_(release) {}
  Buffer(Buffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        release_(std::exchange(o.release_, nullptr)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      release_ = std::exchange(o.release_, nullptr);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  void reset() noexcept {
    if (data_ != nullptr && release_ != nullptr) release_(data_, size_);
    data_ = nullptr;
  }
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  Release release_ = nullptr;
};

// Page-aligned (4 KiB) heap memory: what every host engine hands out. With `huge_pages` a buffer
// of 2 MiB or more is a mapping of its own advised MADV_HUGEPAGE (core/aligned_buffer.hpp).
[[nodiscard]] Buffer allocate_aligned(std::size_t bytes, std::size_t alignment = 4096,
                                      bool huge_pages = false);

class Engine {
 public:
  virtual ~Engine() = default;

  // Opens a file for the access given; the FileId is valid until close().
  [[nodiscard]] virtual FileId open(const std::filesystem::path& path, Access access) = 0;
  [[nodiscard]] virtual Buffer allocate(std::size_t bytes) = 0;
  virtual void submit(std::span<const IoRequest> requests) = 0;
  // Waits for at least `at_least` completions (no more than are outstanding), returns how many it
  // wrote into `out` (at most out.size()).
  [[nodiscard]] virtual std::size_t reap(std::span<IoResult> out, std::size_t at_least) = 0;
  // Makes the file's written data durable (fsync, msync).
  virtual void sync(FileId file) = 0;
  virtual void close(FileId file) = 0;
  // How many requests may be outstanding at once: 1 for synchronous engines.
  [[nodiscard]] virtual std::size_t max_in_flight() const noexcept = 0;
  // The engine's resolved options for the report.
  [[nodiscard]] virtual nlohmann::json describe() const = 0;
  // Whether allocate() hands out device (GPU) memory, which the CPU must not touch: code that
  // fills a buffer goes through upload(), and workloads that parse or stamp bytes refuse such
  // engines (WorkloadInfo::device_memory).
  [[nodiscard]] virtual bool device_memory() const noexcept { return false; }
  // Host memory for copies to and from allocate()'s: page-aligned heap memory, or on a GPU
  // engine pinned memory (so upload and download run at the bus's speed).
  [[nodiscard]] virtual Buffer allocate_host(std::size_t bytes) {
    return allocate_aligned((bytes + 4095) / 4096 * 4096);
  }
  // Copies host bytes into memory from allocate() (a plain memcpy for host memory).
  virtual void upload(std::byte* dst, std::span<const std::byte> src);
  // Copies each of `srcs` into `dst` (which holds the largest) in turn and returns when every one
  // has landed: on a GPU engine the copies queue back to back on one stream and are waited for
  // once, as a server moves a request's cached blocks; on the host a memcpy each.
  virtual void upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs);
  // Copies bytes out of memory from allocate() into host memory, synchronously: for checks made
  // outside the timed region (what a restore landed in GPU memory).
  virtual void download(std::span<std::byte> dst, const std::byte* src);
};

inline void Engine::upload(std::byte* dst, std::span<const std::byte> src) {
  if (!src.empty()) std::memcpy(dst, src.data(), src.size());
}

inline void Engine::upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs) {
  for (const auto& src : srcs)
    upload(dst, src);
}

inline void Engine::download(std::span<std::byte> dst, const std::byte* src) {
  if (!dst.empty()) std::memcpy(dst.data(), src, dst.size());
}

}  // namespace aistor
