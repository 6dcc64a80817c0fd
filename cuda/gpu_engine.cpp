#include "cuda/gpu_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "core/checksum64.hpp"
#include "core/clock.hpp"
#include "cuda/checksum.hpp"
#include "cuda/copy_probe.hpp"
#include "cuda/cuda_resources.hpp"
#include "cuda/device_arena.hpp"
#include "cuda/request_pieces.hpp"

namespace aistor::cuda {
namespace {

enum class StageState : std::uint8_t { idle, reading, copying_in, copying_out, writing };

// One staging buffer and the piece of a request it carries.
struct Stage {
  Buffer host;              // the host engine's memory, so it reads with its own alignment
  HostRegistration pinned;  // empty for gpu-pageable
  Event copied;             // recorded after this stage's copy
  cudaStream_t stream = nullptr;
  StageState state = StageState::idle;
  std::uint32_t request = 0;  // RequestPieces handle
  std::uint64_t offset = 0;   // of the piece within the request
  std::uint32_t length = 0;
  std::int64_t got = 0;        // bytes the host read returned
  std::uint64_t copy_seq = 0;  // order the copies were issued in: wait for the oldest first
  std::uint64_t host_sum = 0;  // checksum64 of the staged bytes (verify)
};

class GpuEngine final : public Engine {
 public:
  GpuEngine(const EngineConfig& config, std::unique_ptr<Engine> host, bool pinned);
  ~GpuEngine() override;
  GpuEngine(const GpuEngine&) = delete;
  GpuEngine& operator=(const GpuEngine&) = delete;

  FileId open(const std::filesystem::path& path, Access access) override {
    return host_->open(path, access);
  }
  Buffer allocate(std::size_t bytes) override { return memory_.allocate(bytes); }
  Buffer allocate_host(std::size_t bytes) override { return memory_.allocate_host(bytes); }
  void submit(std::span<const IoRequest> requests) override;
  std::size_t reap(std::span<IoResult> out, std::size_t at_least) override;
  void sync(FileId file) override { host_->sync(file); }
  void close(FileId file) override { host_->close(file); }
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
  void issue();
  void start_piece(std::uint32_t stage, const RequestPieces::Piece& piece);
  bool poll_host(bool block);
  bool poll_copies();
  void host_done(Stage& stage, std::int64_t res);
  void copy_done(Stage& stage);
  void start_copy(Stage& stage, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                  StageState next);
  void piece_done(Stage& stage, std::int64_t res);

  EngineConfig config_;
  int device_;
  bool pinned_;
  std::unique_ptr<Engine> host_;  // outlives the stages: it owns their memory
  DeviceArena memory_;
  std::vector<Stream> streams_;
  std::vector<Stage> stages_;
  RequestPieces pieces_;
  std::size_t host_in_flight_ = 0;
  std::size_t copies_in_flight_ = 0;
  std::uint64_t copy_seq_ = 0;
  double ceiling_ = 0;  // bytes/s of this engine's copy kind at its piece size
};

GpuEngine::GpuEngine(const EngineConfig& config, std::unique_ptr<Engine> host, bool pinned)
    : config_(config),
      device_(worker_gpu(config)),
      pinned_(pinned),
      host_(std::move(host)),
      memory_(device_),
      pieces_(config.queue_depth, config.staging_size) {
  DeviceGuard guard(device_);
  if (pinned_) {
    for (unsigned i = 0; i < config_.streams; ++i)
      streams_.push_back(make_stream(device_));
  }
  const auto size = static_cast<std::size_t>(config_.staging_size);
  stages_.reserve(config_.staging_buffers);
  for (unsigned i = 0; i < config_.staging_buffers; ++i) {
    Stage& s = stages_.emplace_back();
    s.host = host_->allocate(size);
    if (pinned_) {
      s.pinned = host_register(s.host.data(), size, device_);
      s.copied = make_event(device_);
      s.stream = streams_[i % streams_.size()].get();
    }
  }
  ceiling_ = copy_ceiling(device_, size, pinned_, /*to_device=*/true);
}

GpuEngine::~GpuEngine() {
  for (auto& s : streams_)
    (void)cudaStreamSynchronize(s.get());
}

void GpuEngine::submit(std::span<const IoRequest> requests) {
  DeviceGuard guard(device_);
  for (const IoRequest& r : requests)
    pieces_.add(r);
  issue();
}

void GpuEngine::issue() {
  std::uint32_t next_stage = 0;
  while (pieces_.has_waiting()) {
    while (next_stage < stages_.size() && stages_[next_stage].state != StageState::idle)
      ++next_stage;
    if (next_stage == stages_.size()) return;
    start_piece(next_stage, pieces_.next());
    // A synchronous host engine has done the read by now: start its copy before the next read,
    // so the two overlap.
    poll_host(false);
  }
}

void GpuEngine::start_piece(std::uint32_t stage_index, const RequestPieces::Piece& piece) {
  Stage& s = stages_[stage_index];
  const IoRequest& r = pieces_.request(piece.request);
  s.request = piece.request;
  s.offset = piece.offset;
  s.length = piece.length;
  s.got = 0;
  if (r.op == Op::read) {
    s.state = StageState::reading;
    IoRequest read{Op::read,    r.file,  r.offset + piece.offset, piece.length, s.host.data(),
                   stage_index, r.to_eof};
    ++host_in_flight_;
    host_->submit({&read, 1});
    return;
  }
  start_copy(s, s.host.data(), r.buf + piece.offset, piece.length, cudaMemcpyDeviceToHost,
             StageState::copying_out);
}

void GpuEngine::start_copy(Stage& s, void* dst, const void* src, std::size_t bytes,
                           cudaMemcpyKind kind, StageState next) {
  if (!pinned_) {
    check(cudaMemcpy(dst, src, bytes, kind), "cudaMemcpy", device_);
    s.state = next;
    copy_done(s);
    return;
  }
  check(cudaMemcpyAsync(dst, src, bytes, kind, s.stream), "cudaMemcpyAsync", device_);
  check(cudaEventRecord(s.copied.get(), s.stream), "cudaEventRecord", device_);
  s.state = next;
  s.copy_seq = ++copy_seq_;
  ++copies_in_flight_;
}

bool GpuEngine::poll_host(bool block) {
  if (host_in_flight_ == 0) return false;
  IoResult got[64];
  const std::size_t n = host_->reap(got, block ? 1 : 0);
  for (std::size_t i = 0; i < n; ++i) {
    --host_in_flight_;
    host_done(stages_[got[i].tag], got[i].res);
  }
  return n > 0;
}

void GpuEngine::host_done(Stage& s, std::int64_t res) {
  if (s.state == StageState::writing || res <= 0) {
    piece_done(s, res);
    return;
  }
  s.got = res;
  if (config_.verify) s.host_sum = checksum64(s.host.data(), static_cast<std::size_t>(res));
  start_copy(s, pieces_.request(s.request).buf + s.offset, s.host.data(),
             static_cast<std::size_t>(res), cudaMemcpyHostToDevice, StageState::copying_in);
}

bool GpuEngine::poll_copies() {
  if (copies_in_flight_ == 0) return false;
  bool any = false;
  for (Stage& s : stages_) {
    if (s.state != StageState::copying_in && s.state != StageState::copying_out) continue;
    const cudaError_t e = cudaEventQuery(s.copied.get());
    if (e == cudaErrorNotReady) continue;
    check(e, "cudaEventQuery", device_);
    --copies_in_flight_;
    copy_done(s);
    any = true;
  }
  return any;
}

void GpuEngine::copy_done(Stage& s) {
  const IoRequest& r = pieces_.request(s.request);
  if (s.state == StageState::copying_out) {
    s.state = StageState::writing;
    IoRequest piece{Op::write, r.file,        r.offset + s.offset,
                    s.length,  s.host.data(), static_cast<std::uint64_t>(&s - stages_.data())};
    ++host_in_flight_;
    host_->submit({&piece, 1});
    return;
  }
  if (config_.verify) {
    const std::uint64_t on_gpu =
        device_checksum64(r.buf + s.offset, static_cast<std::size_t>(s.got), device_);
    if (on_gpu != s.host_sum) {
      piece_done(s, -EIO);
      return;
    }
  }
  piece_done(s, s.got);
}

void GpuEngine::piece_done(Stage& s, std::int64_t res) {
  s.state = StageState::idle;
  pieces_.done(s.request, res);
}

std::size_t GpuEngine::reap(std::span<IoResult> out, std::size_t at_least) {
  DeviceGuard guard(device_);
  const std::size_t want =
      std::min({at_least, out.size(), pieces_.ready() + pieces_.outstanding()});
  for (;;) {
    bool progressed = poll_host(false);
    progressed = poll_copies() || progressed;
    issue();
    if (pieces_.ready() >= want) break;
    if (progressed) continue;
    if (copies_in_flight_ > 0) {
      // Copies are short next to reads: finishing the oldest frees a stage soonest.
      auto oldest =
          std::min_element(stages_.begin(), stages_.end(), [](const Stage& a, const Stage& b) {
            auto key = [](const Stage& s) {
              const bool copying =
                  s.state == StageState::copying_in || s.state == StageState::copying_out;
              return copying ? s.copy_seq : UINT64_MAX;
            };
            return key(a) < key(b);
          });
      check(cudaEventSynchronize(oldest->copied.get()), "cudaEventSynchronize", device_);
    } else if (host_in_flight_ > 0) {
      poll_host(true);
    } else {
      throw std::logic_error(fmt::format("{}: nothing in flight but {} requests outstanding",
                                         config_.name, pieces_.outstanding()));
    }
  }
  return pieces_.take(out);
}

nlohmann::json GpuEngine::describe() const {
  nlohmann::json host = host_->describe();
  return {{"name", config_.name},
          {"queue_depth", pieces_.capacity()},
          {"direct", host.value("direct", false)},
          {"host_engine", host},
          {"gpu", device_},
          {"gpus", config_.gpus},
          {"pinned", pinned_},
          {"staging_buffers", stages_.size()},
          {"staging_size", config_.staging_size},
          {"streams", streams_.size()},
          {"verify", config_.verify},
          {"copy_ceiling_bytes_per_s", ceiling_}};
}

}  // namespace

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config, std::unique_ptr<Engine> host,
                                        bool pinned) {
  return std::make_unique<GpuEngine>(config, std::move(host), pinned);
}

bool gpu_present(int index, std::string& why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    why = fmt::format("no GPU: cudaGetDeviceCount: {}", cudaGetErrorString(e));
    return false;
  }
  if (index >= count) {
    why = fmt::format("no GPU {}: CUDA sees {} GPU{}", index, count, count == 1 ? "" : "s");
    return false;
  }
  return true;
}

}  // namespace aistor::cuda
