// gds: cuFile reads and writes between files and GPU memory (GPUDirect Storage), one request at a
// time per worker as cuFileRead/cuFileWrite are synchronous; threads give parallelism. Files are
// opened with O_DIRECT (what GDS needs); buffers come from cudaMalloc and are registered with
// cuFileBufRegister. Without the nvidia-fs driver cuFile runs in compatibility mode, which the
// engine reports.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "cuda/copy_probe.hpp"
#include "cuda/cuda_resources.hpp"
#include "cuda/cufile_api.hpp"
#include "cuda/device_arena.hpp"
#include "cuda/gpu_engine.hpp"
#include "cuda/udev_entry.hpp"

namespace aistor::cuda {
namespace {

// A file registered with cuFile; deregistered before its descriptor closes.
class CufileFile {
 public:
  CufileFile() = default;
  CufileFile(const CufileApi& api, UniqueFd fd, const std::filesystem::path& path)
      : api_(&api), fd_(std::move(fd)) {
    CufileDescr d;
    d.handle.fd = fd_.get();
    const CufileError e = api.handle_register(&handle_, &d);
    if (e.err != 0) {
      const std::string entry = missing_udev_entry(path);
      throw SystemError(
          EIO,
          fmt::format("cuFileHandleRegister (cuFile error {}, CUDA {}; cuFile's log, cufile.log, "
                      "says why{})",
                      e.err, e.cu_err,
                      entry.empty() ? ""
                                    : fmt::format("; this machine's udev database has no {}, and "
                                                  "cuFile registers files only on block devices "
                                                  "udev says hold a filesystem",
                                                  entry)),
          path.string());
    }
  }
  CufileFile(CufileFile&& o) noexcept
      : api_(o.api_), fd_(std::move(o.fd_)), handle_(std::exchange(o.handle_, nullptr)) {}
  CufileFile& operator=(CufileFile&& o) noexcept {
    if (this != &o) {
      reset();
      api_ = o.api_;
      fd_ = std::move(o.fd_);
      handle_ = std::exchange(o.handle_, nullptr);
    }
    return *this;
  }
  CufileFile(const CufileFile&) = delete;
  CufileFile& operator=(const CufileFile&) = delete;
  ~CufileFile() { reset(); }

  [[nodiscard]] bool open() const noexcept { return handle_ != nullptr; }
  [[nodiscard]] CufileHandle handle() const noexcept { return handle_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  void reset() noexcept {
    if (handle_ != nullptr) api_->handle_deregister(handle_);
    handle_ = nullptr;
    fd_ = UniqueFd();
  }
  const CufileApi* api_ = nullptr;
  UniqueFd fd_;
  CufileHandle handle_ = nullptr;
};

class GdsEngine final : public Engine {
 public:
  GdsEngine(const EngineConfig& config, const CufileApi& api)
      : config_(config), api_(api), device_(worker_gpu(config)), memory_(device_) {
    DeviceGuard guard(device_);
    ceiling_ = copy_ceiling(device_, 16ULL << 20, true, true);
  }
  ~GdsEngine() override {
    for (const auto& m : memory_.buffers())
      (void)api_.buf_deregister(m.get());  // one that never registered just says so
  }
  GdsEngine(const GdsEngine&) = delete;
  GdsEngine& operator=(const GdsEngine&) = delete;

  FileId open(const std::filesystem::path& path, Access access) override {
    const int flags = access == Access::read    ? O_RDONLY
                      : access == Access::write ? O_WRONLY
                                                : O_RDWR;
    UniqueFd fd(::open(path.c_str(), flags | O_DIRECT | O_CLOEXEC));
    if (!fd) throw_errno("open (O_DIRECT)", path.string());
    DeviceGuard guard(device_);
    CufileFile f(api_, std::move(fd), path);
    auto slot =
        std::find_if(files_.begin(), files_.end(), [](const CufileFile& x) { return !x.open(); });
    if (slot != files_.end()) {
      *slot = std::move(f);
      return static_cast<FileId>(slot - files_.begin());
    }
    files_.push_back(std::move(f));
    return static_cast<FileId>(files_.size() - 1);
  }

  Buffer allocate(std::size_t bytes) override {
    DeviceGuard guard(device_);
    Buffer b = memory_.allocate(bytes);
    const CufileError e = api_.buf_register(b.data(), bytes, 0);
    if (e.err != 0) {
      throw SystemError(EIO, fmt::format("cuFileBufRegister of {} bytes (cuFile error {}, CUDA {})",
                                         bytes, e.err, e.cu_err));
    }
    return b;
  }
  Buffer allocate_host(std::size_t bytes) override { return memory_.allocate_host(bytes); }

  void submit(std::span<const IoRequest> requests) override {
    DeviceGuard guard(device_);
    for (const IoRequest& r : requests)
      done_.push_back({r.tag, execute(r), now_ns()});
  }

  std::size_t reap(std::span<IoResult> out, std::size_t /*at_least*/) override {
    const std::size_t n = std::min(out.size(), done_.size());
    std::copy_n(done_.begin(), n, out.begin());
    done_.erase(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }

  void sync(FileId file) override {
    if (::fsync(files_.at(file).fd()) != 0) throw_errno("fsync");
  }
  void close(FileId file) override { files_.at(file) = CufileFile(); }
  std::size_t max_in_flight() const noexcept override { return 1; }
  bool device_memory() const noexcept override { return true; }
  void upload(std::byte* dst, std::span<const std::byte> src) override { memory_.upload(dst, src); }
  void upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs) override {
    memory_.upload_all(dst, srcs);
  }
  void download(std::span<std::byte> dst, const std::byte* src) override {
    memory_.download(dst, src);
  }

  nlohmann::json describe() const override {
    return {{"name", "gds"},
            {"queue_depth", 1},
            {"direct", true},
            {"gpu", device_},
            {"gpus", config_.gpus},
            {"cufile_mode", cufile_mode()},
            {"copy_ceiling_bytes_per_s", ceiling_}};
  }

 private:
  // The whole request, resuming after short transfers; a 0-byte transfer is end of file.
  std::int64_t execute(const IoRequest& r) {
    const CufileFile& f = files_.at(r.file);
    std::uint64_t done = 0;
    while (done < r.length) {
      const auto off = static_cast<off_t>(r.offset + done);
      const std::size_t n = r.length - done;
      const ssize_t got = r.op == Op::read ? api_.read(f.handle(), r.buf + done, n, off, 0)
                                           : api_.write(f.handle(), r.buf + done, n, off, 0);
      if (got < 0) return got >= -4095 ? got : -EIO;  // -errno, or a cuFile error code
      if (got == 0) break;
      done += static_cast<std::uint64_t>(got);
    }
    return static_cast<std::int64_t>(done);
  }

  EngineConfig config_;
  const CufileApi& api_;
  int device_;
  std::vector<CufileFile> files_;
  DeviceArena memory_;
  std::vector<IoResult> done_;
  double ceiling_ = 0;
};

}  // namespace

bool gds_available(std::string& why) {
  if (!gpu_present(0, why)) return false;
  if (cufile(why) == nullptr) return false;
  why = fmt::format("cuFile in {} mode", cufile_mode());
  return true;
}

std::unique_ptr<Engine> make_gds_engine(const EngineConfig& config) {
  std::string why;
  const CufileApi* api = cufile(why);
  if (api == nullptr) throw InputError(fmt::format("engine gds: {}", why));
  return std::make_unique<GdsEngine>(config, *api);
}

}  // namespace aistor::cuda
