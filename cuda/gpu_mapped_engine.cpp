// gpu / gpu-pageable with host_engine "mmap": no staging and no read() at all. The file is mapped
// read-only; gpu registers each piece's pages of the mapping with the GPU (cudaHostRegister,
// read-only), so the copy is a DMA straight out of the page cache, and unregisters them when the
// copy's event fires; gpu-pageable copies from the mapping with a synchronous cudaMemcpy, which is
// what mmap-based loaders (safetensors) do. Page faults of a cold file are taken inside the
// registration (or the copy). Reads only.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "core/align.hpp"
#include "core/checksum64.hpp"
#include "core/error.hpp"
#include "core/mapping.hpp"
#include "core/unique_fd.hpp"
#include "cuda/checksum.hpp"
#include "cuda/copy_probe.hpp"
#include "cuda/cuda_resources.hpp"
#include "cuda/device_arena.hpp"
#include "cuda/gpu_engine.hpp"
#include "cuda/request_pieces.hpp"

namespace aistor::cuda {
namespace {

constexpr std::uint64_t kPage = 4096;

struct MappedFile {
  UniqueFd fd;
  Mapping map;
  std::uint64_t size = 0;
};

// One piece in flight: its registered pages and the event that says its copy is done.
struct Slot {
  bool busy = false;
  RequestPieces::Piece piece;
  std::int64_t bytes = 0;
  HostRegistration pages;
  Event copied;
  cudaStream_t stream = nullptr;
  std::uint64_t seq = 0;
  const std::byte* src = nullptr;  // verify: the mapped bytes the piece copied
};

class GpuMappedEngine final : public Engine {
 public:
  GpuMappedEngine(const EngineConfig& config, bool pinned);
  ~GpuMappedEngine() override;
  GpuMappedEngine(const GpuMappedEngine&) = delete;
  GpuMappedEngine& operator=(const GpuMappedEngine&) = delete;

  FileId open(const std::filesystem::path& path, Access access) override;
  Buffer allocate(std::size_t bytes) override { return memory_.allocate(bytes); }
  Buffer allocate_host(std::size_t bytes) override { return memory_.allocate_host(bytes); }
  void submit(std::span<const IoRequest> requests) override;
  std::size_t reap(std::span<IoResult> out, std::size_t at_least) override;
  void sync(FileId /*file*/) override {}
  void close(FileId file) override;
  std::size_t max_in_flight() const noexcept override { return pieces_.capacity(); }
  nlohmann::json describe() const override;
  bool device_memory() const noexcept override { return true; }
  void upload(std::byte* dst, std::span<const std::byte> src) override { memory_.upload(dst, src); }
  void upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs) override {
    memory_.upload_all(dst, srcs);
  }
  void download(std::span<std::byte> dst, const std::byte* src) override {
    memory_.download(dst, src);
  }

 private:
  bool issue();
  void start(Slot& slot);
  bool poll();
  void finish(Slot& slot);

  EngineConfig config_;
  int device_;
  bool pinned_;
  std::vector<MappedFile> files_;
  DeviceArena memory_;
  std::vector<Stream> streams_;
  std::vector<Slot> slots_;
  RequestPieces pieces_;
  std::size_t busy_ = 0;
  std::uint64_t seq_ = 0;
  double ceiling_ = 0;
};

GpuMappedEngine::GpuMappedEngine(const EngineConfig& config, bool pinned)
    : config_(config),
      device_(worker_gpu(config)),
      pinned_(pinned),
      memory_(device_),
      slots_(pinned ? config.staging_buffers : 1),
      pieces_(config.queue_depth, config.staging_size) {
  DeviceGuard guard(device_);
  if (pinned_) {
    for (unsigned i = 0; i < config_.streams; ++i)
      streams_.push_back(make_stream(device_));
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].copied = make_event(device_);
      slots_[i].stream = streams_[i % streams_.size()].get();
    }
  }
  ceiling_ = copy_ceiling(device_, static_cast<std::size_t>(config_.staging_size), pinned_, true);
}

GpuMappedEngine::~GpuMappedEngine() {
  for (auto& s : streams_)
    (void)cudaStreamSynchronize(s.get());
}

FileId GpuMappedEngine::open(const std::filesystem::path& path, Access access) {
  if (access != Access::read) {
    throw InputError(fmt::format("engine {} with host_engine mmap only reads ({})", config_.name,
                                 path.string()));
  }
  MappedFile f;
  f.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f.fd) throw_errno("open", path.string());
  struct stat st {};
  if (::fstat(f.fd.get(), &st) != 0) throw_errno("fstat", path.string());
  f.size = static_cast<std::uint64_t>(st.st_size);
  if (f.size > 0) {
    void* addr = ::mmap(nullptr, f.size, PROT_READ, MAP_SHARED, f.fd.get(), 0);
    if (addr == MAP_FAILED) throw_errno("mmap", path.string());
    f.map = Mapping(addr, f.size);
    if (config_.fadvise != Madvise::none) {
      const int advice = config_.fadvise == Madvise::random       ? MADV_RANDOM
                         : config_.fadvise == Madvise::sequential ? MADV_SEQUENTIAL
                         : config_.fadvise == Madvise::willneed   ? MADV_WILLNEED
                                                                  : MADV_NORMAL;
      if (::madvise(addr, f.size, advice) != 0) throw_errno("madvise", path.string());
    }
  }
  auto free_slot =
      std::find_if(files_.begin(), files_.end(), [](const MappedFile& m) { return !m.fd; });
  if (free_slot != files_.end()) {
    *free_slot = std::move(f);
    return static_cast<FileId>(free_slot - files_.begin());
  }
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

void GpuMappedEngine::close(FileId file) {
  if (file >= files_.size() || !files_[file].fd) {
    throw std::invalid_argument(
        fmt::format("{}: close of file {} which is not open", config_.name, file));
  }
  files_[file] = MappedFile{};
}

void GpuMappedEngine::submit(std::span<const IoRequest> requests) {
  DeviceGuard guard(device_);
  for (const IoRequest& r : requests) {
    if (r.op != Op::read) {
      throw std::invalid_argument(fmt::format("{} with host_engine mmap only reads", config_.name));
    }
    pieces_.add(r);
  }
  issue();
}

bool GpuMappedEngine::issue() {
  bool started = false;
  while (pieces_.has_waiting()) {
    auto slot = std::find_if(slots_.begin(), slots_.end(), [](const Slot& x) { return !x.busy; });
    if (slot == slots_.end()) break;
    slot->piece = pieces_.next();
    start(*slot);  // gpu-pageable copies synchronously: the slot is free again at once
    started = true;
  }
  return started;
}

void GpuMappedEngine::start(Slot& slot) {
  const IoRequest& r = pieces_.request(slot.piece.request);
  const MappedFile& f = files_.at(r.file);
  const std::uint64_t at = r.offset + slot.piece.offset;
  const std::uint64_t bytes =
      at < f.size ? std::min<std::uint64_t>(slot.piece.length, f.size - at) : 0;
  slot.bytes = static_cast<std::int64_t>(bytes);
  slot.src = f.map.data() + at;
  std::byte* dst = r.buf + slot.piece.offset;
  if (bytes == 0) {
    pieces_.done(slot.piece.request, 0);
    return;
  }
  if (!pinned_) {
    check(cudaMemcpy(dst, slot.src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy", device_);
    finish(slot);
    return;
  }
  // Whole pages, clipped to the mapping; neighbouring pieces that share a page wait for it. Not
  // portable: mapping the pages into every GPU's context doubled the cost on two GPUs.
  const std::uint64_t first = align_down(at, kPage);
  const std::uint64_t last = std::min(align_up(at + bytes, kPage), align_up(f.size, kPage));
  cudaError_t e = cudaHostRegister(f.map.data() + first, last - first, cudaHostRegisterReadOnly);
  if (e == cudaErrorHostMemoryAlreadyRegistered) {
    (void)cudaGetLastError();
    for (Slot& other : slots_) {
      if (other.busy) {
        check(cudaEventSynchronize(other.copied.get()), "cudaEventSynchronize", device_);
        finish(other);
      }
    }
    e = cudaHostRegister(f.map.data() + first, last - first, cudaHostRegisterReadOnly);
  }
  check(e, "cudaHostRegister (read-only, of the file's mapping)", device_);
  slot.pages = HostRegistration(f.map.data() + first, device_, last - first);
  check(cudaMemcpyAsync(dst, slot.src, bytes, cudaMemcpyHostToDevice, slot.stream),
        "cudaMemcpyAsync", device_);
  check(cudaEventRecord(slot.copied.get(), slot.stream), "cudaEventRecord", device_);
  slot.busy = true;
  slot.seq = ++seq_;
  ++busy_;
}

void GpuMappedEngine::finish(Slot& slot) {
  if (slot.busy) {
    slot.busy = false;
    --busy_;
  }
  slot.pages = HostRegistration{};
  std::int64_t res = slot.bytes;
  if (config_.verify) {
    const IoRequest& r = pieces_.request(slot.piece.request);
    const auto n = static_cast<std::size_t>(slot.bytes);
    if (device_checksum64(r.buf + slot.piece.offset, n, device_) != checksum64(slot.src, n)) {
      res = -EIO;
    }
  }
  pieces_.done(slot.piece.request, res);
}

bool GpuMappedEngine::poll() {
  bool any = false;
  for (Slot& slot : slots_) {
    if (!slot.busy) continue;
    const cudaError_t e = cudaEventQuery(slot.copied.get());
    if (e == cudaErrorNotReady) continue;
    check(e, "cudaEventQuery", device_);
    finish(slot);
    any = true;
  }
  return any;
}

std::size_t GpuMappedEngine::reap(std::span<IoResult> out, std::size_t at_least) {
  DeviceGuard guard(device_);
  const std::size_t want =
      std::min({at_least, out.size(), pieces_.ready() + pieces_.outstanding()});
  for (;;) {
    bool progressed = poll();
    progressed = issue() || progressed;
    if (pieces_.ready() >= want) break;
    if (progressed) continue;
    if (busy_ == 0) {
      throw std::logic_error(fmt::format("{}: nothing in flight but {} requests outstanding",
                                         config_.name, pieces_.outstanding()));
    }
    auto oldest = std::min_element(slots_.begin(), slots_.end(), [](const Slot& a, const Slot& b) {
      return (a.busy ? a.seq : UINT64_MAX) < (b.busy ? b.seq : UINT64_MAX);
    });
    check(cudaEventSynchronize(oldest->copied.get()), "cudaEventSynchronize", device_);
  }
  return pieces_.take(out);
}

nlohmann::json GpuMappedEngine::describe() const {
  return {{"name", config_.name},
          {"queue_depth", pieces_.capacity()},
          {"direct", false},
          {"host_engine", {{"name", "mmap"}, {"madvise", to_string(config_.fadvise)}}},
          {"gpu", device_},
          {"gpus", config_.gpus},
          {"pinned", pinned_},
          {"registered_pieces", pinned_ ? slots_.size() : 0},
          {"piece_size", config_.staging_size},
          {"streams", streams_.size()},
          {"verify", config_.verify},
          {"copy_ceiling_bytes_per_s", ceiling_}};
}

}  // namespace

std::unique_ptr<Engine> make_gpu_mapped_engine(const EngineConfig& config, bool pinned) {
  return std::make_unique<GpuMappedEngine>(config, pinned);
}

}  // namespace aistor::cuda
