#include "engines/io_uring_engine.hpp"
#include "core/posix_io.hpp"
#include "engines/fadvise.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "engines/registry.hpp"

namespace aistor {
namespace {

// Slots of the sparse registered-file table; a FileId beyond it uses its plain fd.
constexpr unsigned kFileTableSize = 256;
constexpr std::size_t kBufferAlignment = 4096;
constexpr unsigned kSqThreadIdleMs = 100;

int open_flags(Access access, bool direct) {
  int flags = O_CLOEXEC;
  switch (access) {
    case Access::read:
      flags |= O_RDONLY;
      break;
    case Access::write:
      flags |= O_WRONLY;
      break;
    case Access::read_write:
      flags |= O_RDWR;
      break;
  }
  if (direct) flags |= O_DIRECT;
  return flags;
}

Availability probe_io_uring(const std::filesystem::path& /*dir*/) {
  // A ring can be created yet refuse work (seccomp, io_uring_disabled=2 for some users), so the
  // probe completes a real NOP.
  io_uring ring{};
  if (int ret = io_uring_queue_init(2, &ring, 0); ret < 0) {
    return {false, fmt::format("io_uring: kernel says {}", std::strerror(-ret))};
  }
  int ret = 0;
  if (io_uring_sqe* sqe = io_uring_get_sqe(&ring); sqe != nullptr) {
    io_uring_prep_nop(sqe);
    ret = io_uring_submit(&ring);
  } else {
    ret = -EBUSY;
  }
  if (ret >= 0) {
    io_uring_cqe* cqe = nullptr;
    do {
      ret = io_uring_wait_cqe(&ring, &cqe);
    } while (ret == -EINTR);
    if (ret == 0) {
      ret = cqe->res < 0 ? cqe->res : 0;
      io_uring_cqe_seen(&ring, cqe);
    }
  }
  io_uring_queue_exit(&ring);
  if (ret < 0) return {false, fmt::format("io_uring: kernel says {}", std::strerror(-ret))};
  return {true, ""};
}

}  // namespace

UringRing::UringRing(unsigned entries, bool sqpoll) {
  io_uring_params params{};
  if (sqpoll) {
    params.flags |= IORING_SETUP_SQPOLL;
    params.sq_thread_idle = kSqThreadIdleMs;
  }
  if (int ret = io_uring_queue_init_params(entries, &ring_, &params); ret < 0) {
    if (sqpoll) {
      throw_system(-ret, "io_uring_queue_init_params (kernel refused IORING_SETUP_SQPOLL)");
    }
    throw_system(-ret, "io_uring_queue_init_params");
  }
}

IoUringEngine::IoUringEngine(const EngineConfig& config)
    : config_(config),
      slots_(std::max(config.queue_depth, 1U)),
      ring_(std::max(config.queue_depth, 1U), config.sqpoll) {
  free_slots_.reserve(slots_.size());
  for (auto i = static_cast<std::uint32_t>(slots_.size()); i > 0; --i)
    free_slots_.push_back(i - 1);
  fixed_buffers_ok_ = config_.fixed_buffers;
  if (config_.registered_files) register_file_table();
}

IoUringEngine::~IoUringEngine() {
  // Reads still in flight would land in owned_ after it is freed: wait for every completion
  // (submitting any prepared SQE first, or it would never complete).
  std::array<io_uring_cqe*, 64> cqes{};
  while (in_flight_ > 0) {
    int ret = io_uring_submit_and_wait(ring_.get(), 1);
    if (ret < 0 && ret != -EINTR) break;
    unsigned n = io_uring_peek_batch_cqe(ring_.get(), cqes.data(), cqes.size());
    io_uring_cq_advance(ring_.get(), n);
    in_flight_ -= std::min<std::size_t>(n, in_flight_);
  }
}

void IoUringEngine::register_file_table() {
  int ret = io_uring_register_files_sparse(ring_.get(), kFileTableSize);
  if (ret == -EINVAL) {
    // Kernels before 5.19 lack IORING_RSRC_REGISTER_SPARSE but accept -1 entries.
    std::vector<int> empty(kFileTableSize, -1);
    ret = io_uring_register_files(ring_.get(), empty.data(), kFileTableSize);
  }
  if (ret < 0) {
    notes_.push_back(fmt::format("registered_files: kernel refused a file table ({}); plain fds",
                                 std::strerror(-ret)));
    return;
  }
  file_table_ok_ = true;
}

FileId IoUringEngine::open(const std::filesystem::path& path, Access access) {
  UniqueFd fd(dirs_.open(path, open_flags(access, config_.direct)));
  if (!fd) {
    if (errno == EINVAL && config_.direct) {
      throw_system(EINVAL, "open with O_DIRECT (the filesystem refuses O_DIRECT)", path.string());
    }
    throw_errno("open", path.string());
  }
  apply_fadvise(fd.get(), config_.fadvise, path);
  auto free = std::find_if(files_.begin(), files_.end(), [](const OpenFile& f) { return !f.fd; });
  auto id = static_cast<FileId>(free - files_.begin());
  if (free == files_.end()) files_.emplace_back();
  OpenFile& file = files_[id];
  file.path = path.native();
  file.registered = false;
  file.requests = 0;
  file.fd = std::move(fd);
  return id;
}

void IoUringEngine::register_file(FileId id) {
  OpenFile& file = files_[id];
  if (!file_table_ok_ || id >= kFileTableSize) return;
  int raw = file.fd.get();
  int ret = io_uring_register_files_update(ring_.get(), id, &raw, 1);
  if (ret == 1) {
    file.registered = true;
  } else if (notes_.size() < 16) {
    notes_.push_back(fmt::format("registered_files: {} not registered ({}); plain fd", file.path,
                                 std::strerror(ret < 0 ? -ret : EIO)));
  }
}

Buffer IoUringEngine::allocate(std::size_t bytes) {
  AlignedBuffer& mem = owned_.emplace_back(bytes, kBufferAlignment, config_.huge_pages);
  Region region{mem.data(), mem.size(), static_cast<unsigned>(owned_.size() - 1)};
  auto at = std::upper_bound(regions_.begin(), regions_.end(), region.begin,
                             [](const std::byte* p, const Region& r) { return p < r.begin; });
  regions_.insert(at, region);
  if (fixed_buffers_ok_) buffers_dirty_ = true;
  // The engine frees the memory (see the header), so the Buffer's release does nothing.
  return Buffer(mem.data(), bytes, [](std::byte*, std::size_t) noexcept {});
}

void IoUringEngine::register_buffers() {
  buffers_dirty_ = false;
  if (registered_buffers_ > 0) {
    // In-flight fixed requests keep the old registration alive until they complete.
    (void)io_uring_unregister_buffers(ring_.get());
    registered_buffers_ = 0;
  }
  std::vector<iovec> iovs;
  iovs.reserve(owned_.size());
  for (const AlignedBuffer& b : owned_)
    iovs.push_back({b.data(), b.size()});
  int ret = io_uring_register_buffers(ring_.get(), iovs.data(), static_cast<unsigned>(iovs.size()));
  if (ret < 0) {
    fixed_buffers_ok_ = false;
    notes_.push_back(
        fmt::format("fixed_buffers: io_uring_register_buffers failed ({}); plain read/write{}",
                    std::strerror(-ret), ret == -ENOMEM ? " (RLIMIT_MEMLOCK?)" : ""));
    return;
  }
  registered_buffers_ = static_cast<unsigned>(iovs.size());
}

int IoUringEngine::buffer_index(const std::byte* buf, std::size_t length) const noexcept {
  if (registered_buffers_ == 0) return -1;
  auto after = std::upper_bound(regions_.begin(), regions_.end(), buf,
                                [](const std::byte* p, const Region& r) { return p < r.begin; });
  if (after == regions_.begin()) return -1;
  const Region& r = *std::prev(after);
  // A buffer allocated after the last registration is not in the table yet.
  if (r.index >= registered_buffers_) return -1;
  auto offset = static_cast<std::size_t>(buf - r.begin);
  if (offset + length > r.size) return -1;
  return static_cast<int>(r.index);
}

io_uring_sqe* IoUringEngine::next_sqe() {
  // The SQ holds at least queue_depth entries and each busy slot owns at most one, so this only
  // loops when an SQ thread has not yet consumed what was submitted.
  for (;;) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(ring_.get())) return sqe;
    flush();
    if (config_.sqpoll) (void)io_uring_sqring_wait(ring_.get());
  }
}

void IoUringEngine::prepare(std::uint32_t slot) {
  const Slot& s = slots_[slot];
  const IoRequest& r = s.req;
  const OpenFile& file = files_[r.file];
  std::byte* buf = r.buf + s.done;
  unsigned length = r.length - s.done;
  std::uint64_t offset = r.offset + s.done;
  int fd = file.registered ? static_cast<int>(r.file) : file.fd.get();
  int index = buffer_index(buf, length);

  io_uring_sqe* sqe = next_sqe();
  if (r.op == Op::read) {
    if (index >= 0) {
      io_uring_prep_read_fixed(sqe, fd, buf, length, offset, index);
    } else {
      io_uring_prep_read(sqe, fd, buf, length, offset);
    }
  } else {
    if (index >= 0) {
      io_uring_prep_write_fixed(sqe, fd, buf, length, offset, index);
    } else {
      io_uring_prep_write(sqe, fd, buf, length, offset);
    }
  }
  if (file.registered) sqe->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(sqe, slot);
}

void IoUringEngine::flush() {
  while (io_uring_sq_ready(ring_.get()) > 0) {
    int ret = io_uring_submit(ring_.get());
    if (ret == -EINTR || ret == -EAGAIN) continue;
    if (ret < 0) throw_system(-ret, "io_uring_submit");
    // The SQ thread consumes entries on its own time; waiting for it here would only spin.
    if (config_.sqpoll) break;
  }
}

void IoUringEngine::submit(std::span<const IoRequest> requests) {
  if (requests.size() > free_slots_.size()) {
    throw std::length_error(
        fmt::format("io_uring: {} requests submitted with {} in flight (queue_depth {})",
                    requests.size(), in_flight_, slots_.size()));
  }
  for (const IoRequest& r : requests) {
    if (r.file >= files_.size() || !files_[r.file].fd) {
      throw std::invalid_argument(
          fmt::format("io_uring: request on file {} which is not open", r.file));
    }
  }
  if (buffers_dirty_) register_buffers();

  std::size_t since_flush = 0;
  for (const IoRequest& r : requests) {
    OpenFile& file = files_[r.file];
    if (++file.requests == 2 && !file.registered) register_file(r.file);
    std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = Slot{r, 0, true};
    ++in_flight_;
    prepare(slot);
    if (config_.submit_batch > 0 && ++since_flush == config_.submit_batch) {
      flush();
      since_flush = 0;
    }
  }
  flush();
}

void IoUringEngine::complete(std::uint32_t slot, std::int64_t res, std::uint64_t now) {
  Slot& s = slots_[slot];
  ready_.push_back(IoResult{s.req.tag, res, now});
  s.busy = false;
  free_slots_.push_back(slot);
  --in_flight_;
}

void IoUringEngine::handle_completion(std::uint32_t slot, int res, std::uint64_t now) {
  Slot& s = slots_[slot];
  const IoRequest& r = s.req;
  if (res == -EINTR || res == -EAGAIN) {
    prepare(slot);
    return;
  }
  if (res < 0) {
    // After a short O_DIRECT read the remainder starts at end of file, unaligned; some
    // filesystems answer EINVAL instead of 0 there.
    bool eof = r.op == Op::read && s.done > 0 && res == -EINVAL && config_.direct;
    complete(slot, eof ? std::int64_t{s.done} : std::int64_t{res}, now);
    return;
  }
  s.done += static_cast<std::uint32_t>(res);
  if (s.done >= r.length) {
    complete(slot, s.done, now);
  } else if (res == 0) {
    // A read of 0 is end of file; a write of 0 would loop forever, so it is an error.
    complete(slot, r.op == Op::read ? std::int64_t{s.done} : -EIO, now);
  } else {
    prepare(slot);
  }
}

void IoUringEngine::drain_completions() {
  std::array<io_uring_cqe*, 64> cqes{};
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(ring_.get(), cqes.data(), cqes.size());
    if (n == 0) return;
    std::uint64_t now = now_ns();
    for (unsigned i = 0; i < n; ++i) {
      handle_completion(static_cast<std::uint32_t>(io_uring_cqe_get_data64(cqes[i])), cqes[i]->res,
                        now);
    }
    io_uring_cq_advance(ring_.get(), n);
  }
}

std::size_t IoUringEngine::reap(std::span<IoResult> out, std::size_t at_least) {
  std::size_t want = std::min({at_least, out.size(), ready_.size() + in_flight_});
  drain_completions();
  while (ready_.size() < want) {
    // Every busy slot yields exactly one CQE, so waiting for no more than the shortfall (which is
    // at most in_flight_) cannot hang; submit_and_wait also sends resubmitted remainders.
    auto nr = static_cast<unsigned>(want - ready_.size());
    int ret = io_uring_submit_and_wait(ring_.get(), nr);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN) throw_system(-ret, "io_uring_submit_and_wait");
    drain_completions();
  }
  flush();
  std::size_t n = std::min(out.size(), ready_.size());
  std::copy_n(ready_.begin(), n, out.begin());
  ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

void IoUringEngine::sync(FileId file) {
  if (file >= files_.size() || !files_[file].fd) {
    throw std::invalid_argument(fmt::format("io_uring: sync of file {} which is not open", file));
  }
  if (::fsync(files_[file].fd.get()) != 0) throw_errno("fsync", files_[file].path);
}

void IoUringEngine::close(FileId file) {
  if (file >= files_.size() || !files_[file].fd) {
    throw std::invalid_argument(fmt::format("io_uring: close of file {} which is not open", file));
  }
  for (const Slot& s : slots_) {
    if (s.busy && s.req.file == file) {
      throw std::logic_error(
          fmt::format("io_uring: close of {} with requests in flight", files_[file].path));
    }
  }
  OpenFile& f = files_[file];
  if (f.registered) {
    int none = -1;
    (void)io_uring_register_files_update(ring_.get(), file, &none, 1);
    f.registered = false;
  }
  f.fd.reset();
  f.path.clear();
}

nlohmann::json IoUringEngine::describe() const {
  return {
      {"name", "io_uring"},
      {"queue_depth", slots_.size()},
      {"ring_entries", ring_.get()->sq.ring_entries},
      {"direct", config_.direct},
      {"sqpoll", config_.sqpoll},
      {"fixed_buffers", fixed_buffers_ok_},
      {"registered_files", file_table_ok_},
      {"submit_batch", config_.submit_batch},
      {"fadvise", to_string(config_.fadvise)},
      {"huge_pages", config_.huge_pages},
      {"notes", notes_},
  };
}

EngineInfo io_uring_engine_info() {
  return EngineInfo{
      .name = "io_uring",
      .summary = std::string(kIoUringSummary),
      .options = io_uring_engine_options(),
      .synchronous = false,
      .probe = probe_io_uring,
      .make = [](const EngineConfig& config) -> std::unique_ptr<Engine> {
        return std::make_unique<IoUringEngine>(config);
      },
  };
}

}  // namespace aistor
