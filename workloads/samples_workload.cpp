#include "workloads/samples_workload.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <random>
#include <thread>

#include "core/align.hpp"
#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/histogram.hpp"
#include "core/page_cache.hpp"
#include "core/sha256.hpp"
#include "core/splitmix.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/tfrecord_stream.hpp"
#include "workloads/request_alignment.hpp"

namespace aistor {

struct SamplesWorkload::ReaderTally {
  explicit ReaderTally(unsigned epochs) : samples(epochs, 0), bytes(epochs, 0) {}
  std::vector<std::uint64_t> samples;  // delivered, per epoch
  std::vector<std::uint64_t> bytes;    // delivered payload bytes, per epoch
  std::uint64_t verified = 0;
  std::uint32_t alignment = 1;
  std::uint64_t inflate_cpu_ns = 0;
};

struct SamplesWorkload::AcceleratorTally {
  explicit AcceleratorTally(unsigned epochs)
      : steps(epochs, 0), wait_ns(epochs, 0), compute_ns(epochs, 0) {}
  // Per epoch, every step but the accelerator's very first (its wait is the pipeline's fill).
  std::vector<std::uint64_t> steps;
  std::vector<std::uint64_t> wait_ns;
  std::vector<std::uint64_t> compute_ns;
  LatencyHistogram waits;
  std::uint64_t first_wait_ns = 0;
  std::uint64_t all_steps = 0;
};

struct SamplesWorkload::EpochRow {
  std::uint64_t begin_ns = 0;
  std::uint64_t end_ns = 0;
  std::optional<ProcIo> io_begin;
  std::optional<ProcIo> io_end;
  std::optional<Residency> residency;
};

namespace {

constexpr FileId kNoFile = UINT32_MAX;

// The reads of one reader thread: samples of the batches it claims, in order, each through an
// aligned request when the engine is direct; hands finished batches to the pipeline.
class SampleSource final : public RequestSource {
 public:
  struct Context {
    BatchPipeline& pipeline;
    const EpochOrder& order;
    const formats::DatasetIndex& index;
    Engine& engine;
    Recorder& recorder;
    const std::vector<FileId>& files;  // record formats: FileId per dataset file; empty for raw
    std::uint32_t alignment;
    std::optional<std::uint64_t> verify_seed;
    SamplesWorkload::ReaderTally& tally;
  };

  explicit SampleSource(Context c) : c_(c) {}

  bool next(IoRequest& r) override {
    if (failed_) return false;
    if (!batch_ || position_ == batch_->count) {
      batch_ = c_.pipeline.try_claim();
      if (!batch_) return false;
      position_ = 0;
      open_batches_.push_back({batch_->seq, batch_->count});
    }
    const std::uint64_t sample = c_.order.at(batch_->epoch, batch_->first + position_++);
    const formats::SampleRef& ref = c_.index.at(sample);
    FileId file = kNoFile;
    if (c_.files.empty()) {
      const auto path = c_.index.path_of(ref);
      file = c_.engine.open(path, Access::read);
      c_.recorder.name_file(file, path.string());
    } else {
      file = c_.files[ref.file];
    }
    const std::uint64_t start = align_down(ref.offset, c_.alignment);
    const std::uint64_t end = align_up(ref.offset + ref.length, c_.alignment);
    r.op = Op::read;
    r.file = file;
    r.offset = start;
    r.length = static_cast<std::uint32_t>(end - start);
    r.to_eof = c_.alignment > 1;  // the aligned end of a file's last sample lies past its end
    r.tag = slot_for({sample, batch_->seq, batch_->epoch,
                      static_cast<std::uint32_t>(ref.offset - start), ref.length,
                      c_.files.empty() ? file : kNoFile});
    return true;
  }

  void completed(const IoRequest& r, std::int64_t res) override {
    const InFlight f = slots_[r.tag];
    free_.push_back(static_cast<std::uint32_t>(r.tag));
    if (f.opened != kNoFile) c_.engine.close(f.opened);
    if (res >= 0) {
      const auto got = static_cast<std::uint64_t>(res);
      if (got < std::uint64_t{f.head} + f.length) {
        fail(fmt::format("sample {}: {} ends at offset {}, inside the sample ({} bytes at {})",
                         f.sample, c_.index.path_of(c_.index.at(f.sample)).string(), r.offset + got,
                         f.length, r.offset + f.head));
      } else {
        const std::span<const std::byte> data(r.buf + f.head, f.length);
        if (c_.verify_seed) {
          if (auto wrong = formats::check_sample(data, f.sample, *c_.verify_seed)) {
            const auto& ref = c_.index.at(f.sample);
            fail(fmt::format("sample {}: {} at offset {}: {}", f.sample,
                             c_.index.path_of(ref).string(), ref.offset, *wrong));
          } else {
            ++c_.tally.verified;
          }
        }
        ++c_.tally.samples[f.epoch];
        c_.tally.bytes[f.epoch] += f.length;
      }
    }
    // A failed read (the recorder counts it) still completes its batch, so a phase that
    // continues on errors keeps going.
    for (auto it = open_batches_.begin(); it != open_batches_.end(); ++it) {
      if (it->seq != f.seq) continue;
      if (--it->left == 0) {
        c_.pipeline.loaded(it->seq);
        open_batches_.erase(it);
      }
      break;
    }
  }

  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

 private:
  struct InFlight {
    std::uint64_t sample;
    std::uint64_t seq;
    unsigned epoch;
    std::uint32_t head;  // sample's first byte within the request
    std::uint32_t length;
    FileId opened;  // raw samples: the file to close when the read is done
  };
  struct OpenBatch {
    std::uint64_t seq;
    std::uint32_t left;
  };

  std::uint64_t slot_for(const InFlight& f) {
    if (free_.empty()) {
      slots_.push_back(f);
      return slots_.size() - 1;
    }
    const std::uint32_t s = free_.back();
    free_.pop_back();
    slots_[s] = f;
    return s;
  }

  void fail(std::string what) {
    if (failed_) return;
    failed_ = true;
    failure_ = std::move(what);
  }

  Context c_;
  std::optional<BatchTicket> batch_;
  std::uint32_t position_ = 0;
  std::vector<OpenBatch> open_batches_;
  std::vector<InFlight> slots_;
  std::vector<std::uint32_t> free_;
  bool failed_ = false;
  std::string failure_;
};

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

nlohmann::json ratio_or_null(double num, double den) {
  return den > 0 ? nlohmann::json(num / den) : nlohmann::json(nullptr);
}

}  // namespace

SamplesParams SamplesWorkload::parse(ConfigNode& phase) {
  SamplesParams p;
  if (phase.has("dataset") == phase.has("path")) {
    phase.fail("dataset",
               "give exactly one of \"dataset\" (generated, or reused when it exists) and \"path\" "
               "(an existing dataset, file or directory)");
  }
  if (phase.has("dataset")) {
    ConfigNode d = phase.object("dataset");
    p.dataset = formats::parse_dataset_spec(d);
  } else {
    p.path = phase.string("path", std::nullopt);
  }
  p.epochs = static_cast<unsigned>(phase.integer("epochs", 1, 1, 1'000'000));
  p.batch_size = static_cast<std::uint32_t>(phase.integer("batch_size", 32, 1, 1 << 24));
  p.drop_last = phase.boolean("drop_last", false);
  p.shuffle = *parse_shuffle(phase.choice("shuffle", "global", {"global", "files", "none"}));
  p.seed = static_cast<std::uint64_t>(phase.integer("seed", 1, 0));
  p.read_threads = static_cast<unsigned>(phase.integer("read_threads", 1, 1, 1024));
  p.accelerators = static_cast<unsigned>(phase.integer("accelerators", 1, 1, 4096));
  p.prefetch = static_cast<unsigned>(phase.integer("prefetch", 2 * p.read_threads, 1, 1 << 20));
  p.compute = ComputeTime::parse(phase, "compute");
  p.verify = phase.boolean("verify", false);
  if (phase.has("epoch_residency")) p.epoch_residency = phase.boolean("epoch_residency", true);
  if (p.dataset && p.drop_last && p.dataset->samples < p.batch_size) {
    phase.fail("drop_last", fmt::format("with {} samples and batch_size {} no batch is left",
                                        p.dataset->samples, p.batch_size));
  }
  return p;
}

SamplesWorkload::SamplesWorkload(SamplesParams params) : params_(std::move(params)) {}
SamplesWorkload::~SamplesWorkload() = default;

Goal SamplesWorkload::goal() const {
  Goal g;
  if (payload_bytes_ > 0) {
    g.bytes = payload_bytes_ * params_.epochs;
  } else if (params_.dataset) {
    g.bytes = static_cast<std::uint64_t>(static_cast<double>(params_.dataset->samples) *
                                         params_.dataset->sizes.mean) *
              params_.epochs;
  }
  return g;
}

std::vector<std::filesystem::path> SamplesWorkload::prepare(const PhaseEnv& env) {
  dataset_info_ = nlohmann::json::object();
  if (params_.dataset) {
    const auto spec_json = formats::to_json(*params_.dataset);
    dataset_dir_ =
        env.dir / fmt::format("dataset-{}-{}", formats::to_string(params_.dataset->format),
                              sha256_hex(spec_json.dump()).substr(0, 12));
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    const auto g = formats::generate_dataset(*params_.dataset, dataset_dir_, threads, env.stop);
    dataset_info_["generated"] = !g.reused;
    dataset_info_["generate_s"] = g.seconds;
  } else {
    dataset_dir_ = params_.path;
    dataset_info_["generated"] = false;
  }
  failure_.clear();
  stream_ = false;
  verify_seed_.reset();
  if (prepare_stream()) return files_;
  index_.emplace(formats::DatasetIndex::open(dataset_dir_));
  const auto& index = *index_;
  if (index.size() == 0) {
    throw InputError(fmt::format("{}: the dataset holds no samples", dataset_dir_.string()));
  }
  if (params_.verify && !index.spec()) {
    throw InputError(
        fmt::format("{}: verify needs an aistor dataset (its samples carry their id and checksum)",
                    dataset_dir_.string()));
  }
  const bool raw = index.spec() && index.spec()->format == formats::DatasetFormat::raw;
  files_.clear();
  std::vector<std::uint64_t> file_starts;
  max_length_ = 0;
  payload_bytes_ = 0;
  for (std::uint64_t i = 0; i < index.size(); ++i) {
    const auto& ref = index.at(i);
    max_length_ = std::max(max_length_, ref.length);
    payload_bytes_ += ref.length;
    if (raw) {
      // no list: a raw tree is one file per sample, the directory stands for them all
    } else if (file_starts.empty() || ref.file != index.at(i - 1).file) {
      // Record files hold contiguous samples, file by file; files without samples hold none.
      while (file_starts.size() <= ref.file) {
        file_starts.push_back(i);
        files_.push_back(index.path_of({0, 0, static_cast<std::uint32_t>(file_starts.size() - 1)}));
      }
    }
  }
  if (raw) {
    files_.push_back(dataset_dir_);
  } else {
    file_starts.push_back(index.size());
  }
  // Residency maps every file: cheap for a few record files, not for a file per sample.
  epoch_residency_ = params_.epoch_residency.value_or(!raw);
  if (max_length_ > (std::uint64_t{1} << 31)) {
    throw InputError(fmt::format("{}: a {}-byte sample is larger than aistor reads in one request",
                                 dataset_dir_.string(), max_length_));
  }
  dataset_info_["dir"] = dataset_dir_.string();
  dataset_info_["format"] = index.spec() ? formats::to_string(index.spec()->format) : "user";
  dataset_info_["samples"] = index.size();
  dataset_info_["files"] = raw ? index.size() : files_.size();
  dataset_info_["payload_bytes"] = payload_bytes_;
  dataset_info_["max_sample_bytes"] = max_length_;

  order_.emplace(params_.shuffle, index.size(), std::move(file_starts), params_.seed,
                 params_.epochs);
  make_pipeline(index.size());
  return files_;
}

void SamplesWorkload::make_pipeline(std::uint64_t samples) {
  PipelineShape shape{samples, params_.batch_size, params_.drop_last, params_.epochs,
                      params_.prefetch};
  pipeline_ = std::make_unique<BatchPipeline>(
      shape, [this](unsigned e) { epoch_begins(e); }, [this](unsigned e) { epoch_ends(e); });
  readers_.clear();
  accelerators_.clear();
  for (unsigned i = 0; i < params_.read_threads; ++i)
    readers_.push_back(std::make_unique<ReaderTally>(params_.epochs));
  for (unsigned i = 0; i < params_.accelerators; ++i)
    accelerators_.push_back(std::make_unique<AcceleratorTally>(params_.epochs));
  epochs_.assign(params_.epochs, EpochRow{});
  next_file_ = std::make_unique<std::atomic<std::uint32_t>[]>(params_.epochs);
  delivered_ = std::make_unique<std::atomic<std::uint64_t>[]>(params_.epochs);
}

// A GZIP or ZLIB TFRecord dataset (an aistor dataset or a user's file): files, per-file sample
// counts, an order over files. False for anything else.
bool SamplesWorkload::prepare_stream() {
  namespace fs = std::filesystem;
  std::optional<formats::DatasetSpec> spec = params_.dataset;
  if (!spec && fs::is_directory(dataset_dir_)) {
    if (auto manifest = formats::read_manifest(dataset_dir_)) {
      spec = formats::dataset_spec_from_json(manifest->value("spec", nlohmann::json()),
                                             dataset_dir_ / formats::kManifestName);
    }
  }
  files_.clear();
  file_first_.clear();
  payload_bytes_ = 0;
  if (spec) {
    if (spec->format == formats::DatasetFormat::tfrecord_gzip) {
      compression_ = formats::TfCompression::gzip;
    } else if (spec->format == formats::DatasetFormat::tfrecord_zlib) {
      compression_ = formats::TfCompression::zlib;
    } else {
      return false;
    }
    for (std::uint32_t f = 0; f <= spec->files; ++f) {
      file_first_.push_back(spec->first_sample_of(f));
      if (f < spec->files) files_.push_back(dataset_dir_ / spec->record_file(f));
    }
    verify_seed_ = spec->seed;
  } else if (fs::is_regular_file(dataset_dir_) &&
             formats::detect_tfrecord_compression(dataset_dir_) != formats::TfCompression::none) {
    compression_ = formats::detect_tfrecord_compression(dataset_dir_);
    const auto stats = formats::scan_tfrecord(dataset_dir_, false);  // untimed: count records
    files_.push_back(dataset_dir_);
    file_first_ = {0, stats.records};
    payload_bytes_ = stats.payload_bytes;
  } else {
    return false;
  }
  stream_ = true;
  const std::uint64_t samples = file_first_.back();
  if (samples == 0) {
    throw InputError(fmt::format("{}: the dataset holds no samples", dataset_dir_.string()));
  }
  if (params_.shuffle == ShuffleMode::global) {
    throw InputError(fmt::format(
        "{}: a {}-compressed TFRecord dataset has no random access; use shuffle \"files\" or "
        "\"none\"",
        dataset_dir_.string(), compression_ == formats::TfCompression::gzip ? "GZIP" : "ZLIB"));
  }
  if (params_.verify && !verify_seed_) {
    throw InputError(
        fmt::format("{}: verify needs an aistor dataset (its samples carry their id and checksum)",
                    dataset_dir_.string()));
  }
  epoch_residency_ = params_.epoch_residency.value_or(true);
  dataset_info_["dir"] = dataset_dir_.string();
  dataset_info_["format"] = spec ? formats::to_string(spec->format) : "user";
  dataset_info_["compression"] = compression_ == formats::TfCompression::gzip ? "gzip" : "zlib";
  dataset_info_["samples"] = samples;
  dataset_info_["files"] = files_.size();
  if (payload_bytes_ > 0) dataset_info_["payload_bytes"] = payload_bytes_;
  order_.emplace(params_.shuffle, samples, file_first_, params_.seed, params_.epochs);
  make_pipeline(samples);
  return true;
}

void SamplesWorkload::epoch_begins(unsigned epoch) {
  EpochRow& row = epochs_[epoch];
  if (epoch_residency_) row.residency = residency(files_);
  row.io_begin = proc_self_io();
  row.begin_ns = now_ns();
}

void SamplesWorkload::epoch_ends(unsigned epoch) {
  EpochRow& row = epochs_[epoch];
  row.end_ns = now_ns();
  row.io_end = proc_self_io();
}

void SamplesWorkload::run(WorkerContext& ctx) {
  if (ctx.index < params_.read_threads) {
    if (stream_) {
      stream(ctx);
    } else {
      read(ctx);
    }
  } else {
    accelerate(ctx);
  }
}

void SamplesWorkload::read(WorkerContext& ctx) {
  ReaderTally& tally = *readers_[ctx.index];
  const auto& index = *index_;
  const bool raw = index.spec() && index.spec()->format == formats::DatasetFormat::raw;
  // A regular file to probe: statx reports O_DIRECT alignment for files only.
  const std::uint32_t alignment =
      request_alignment(ctx.engine, raw ? index.path_of(index.at(0)) : files_.front());
  tally.alignment = alignment;
  std::vector<FileId> files;
  if (!raw) {
    for (const auto& path : files_) {
      files.push_back(ctx.engine.open(path, Access::read));
      ctx.recorder.name_file(files.back(), path.string());
    }
  }
  std::optional<std::uint64_t> verify_seed;
  if (params_.verify) verify_seed = index.spec()->seed;
  SampleSource source(
      {*pipeline_, *order_, index, ctx.engine, ctx.recorder, files, alignment, verify_seed, tally});
  const std::size_t buffer_bytes =
      std::max<std::size_t>(align_up(max_length_, alignment) + (alignment > 1 ? alignment : 0), 1);
  Pump pump(ctx.engine, ctx.queue_depth, buffer_bytes, ctx.recorder, ctx.stop, ctx.progress);
  PumpLimits limits;
  limits.stop_on_error = ctx.stop_on_error;
  for (;;) {
    ctx.outcome = pump.run(source, limits);
    if (source.failed()) {
      pipeline_->abort();
      {
        std::lock_guard lock(failure_mu_);
        if (failure_.empty()) failure_ = source.failure();
      }
      throw InputError(source.failure());
    }
    if (ctx.outcome.end != PumpEnd::done) {
      pipeline_->abort();
      break;
    }
    if (!pipeline_->wait_for_claim(ctx.stop)) break;
  }
  for (FileId f : files)
    ctx.engine.close(f);
}

namespace {

// Sequential 1 MiB reads of one whole file (aligned for direct engines; the last may end early
// at end of file), fed in order to a TFRecord stream parser.
class FileStreamSource final : public RequestSource {
 public:
  using Feed = std::function<void(std::span<const std::byte>)>;
  FileStreamSource(FileId file, std::uint64_t size, std::uint32_t chunk, Feed feed)
      : file_(file), size_(size), chunk_(chunk), feed_(std::move(feed)) {}

  bool next(IoRequest& r) override {
    if (done_ || offset_ >= size_) return false;
    r.op = Op::read;
    r.file = file_;
    r.offset = offset_;
    r.length = chunk_;
    r.to_eof = true;
    offset_ += chunk_;
    return true;
  }
  void completed(const IoRequest& r, std::int64_t res) override {
    if (res < 0 || done_) {
      done_ = true;  // the recorder counts the error; the pump stops on it unless told not to
      return;
    }
    const auto got = std::min<std::uint64_t>(static_cast<std::uint64_t>(res), size_ - r.offset);
    feed_(std::span<const std::byte>(r.buf, got));
  }
  void stop() noexcept { done_ = true; }

 private:
  FileId file_;
  std::uint64_t size_;
  std::uint32_t chunk_;
  Feed feed_;
  std::uint64_t offset_ = 0;
  bool done_ = false;
};

}  // namespace

void SamplesWorkload::record_failure(const std::string& what) {
  std::lock_guard lock(failure_mu_);
  if (failure_.empty()) failure_ = what;
}

void SamplesWorkload::stream(WorkerContext& ctx) {
  const std::uint32_t alignment = request_alignment(ctx.engine, files_.front());
  readers_[ctx.index]->alignment = alignment;
  constexpr std::uint32_t kChunk = 1u << 20;
  Pump pump(ctx.engine, 1, kChunk, ctx.recorder, ctx.stop, ctx.progress);
  const auto files = static_cast<std::uint32_t>(files_.size());
  for (unsigned e = 0; e < params_.epochs; ++e) {
    if (!pipeline_->wait_for_epoch(e, ctx.stop)) return;
    for (;;) {
      const std::uint32_t k = next_file_[e].fetch_add(1);
      if (k >= files) break;
      if (!stream_file(ctx, e, order_->file_at(e, k), pump, alignment)) {
        pipeline_->abort();
        std::lock_guard lock(failure_mu_);
        if (!failure_.empty()) throw InputError(failure_);
        return;
      }
    }
  }
}

bool SamplesWorkload::stream_file(WorkerContext& ctx, unsigned epoch, std::uint32_t f, Pump& pump,
                                  std::uint32_t alignment) {
  (void)alignment;  // the chunk (1 MiB) is a multiple of any O_DIRECT alignment
  const auto& path = files_[f];
  ReaderTally& tally = *readers_[ctx.index];
  const FileId id = ctx.engine.open(path, Access::read);
  ctx.recorder.name_file(id, path.string());
  std::uint64_t size = 0;
  {
    std::error_code ec;
    size = std::filesystem::file_size(path, ec);
    if (ec) throw_system(ec.value(), "stat", path.string());
  }
  formats::TfRecordStreamParser parser(compression_, path.string(), false);
  bool stop_streaming = false;
  const std::uint64_t first = file_first_[f];
  const std::uint64_t expected = file_first_[f + 1] - first;
  FileStreamSource* source_ptr = nullptr;
  FileStreamSource source(id, size, 1u << 20, [&](std::span<const std::byte> bytes) {
    try {
      parser.push(bytes, [&](std::uint64_t i, std::uint64_t, std::span<const std::byte> payload) {
        if (i >= expected) {
          throw InputError(fmt::format("{}: more than the {} records the dataset says it holds",
                                       path.string(), expected));
        }
        deliver(ctx, epoch, first + i, payload, stop_streaming);
      });
    } catch (const InputError& e) {
      record_failure(e.what());
      stop_streaming = true;
    }
    if (stop_streaming) source_ptr->stop();
  });
  source_ptr = &source;
  PumpLimits limits;
  limits.stop_on_error = ctx.stop_on_error;
  ctx.outcome = pump.run(source, limits);
  ctx.engine.close(id);
  tally.inflate_cpu_ns += parser.inflate_cpu_ns();
  if (stop_streaming) return false;
  if (ctx.outcome.end != PumpEnd::done) return false;
  try {
    parser.finish();
    if (parser.records() != expected) {
      throw InputError(fmt::format("{}: {} records where the dataset says {}", path.string(),
                                   parser.records(), expected));
    }
  } catch (const InputError& e) {
    record_failure(e.what());
    return false;
  }
  return true;
}

void SamplesWorkload::deliver(WorkerContext& ctx, unsigned epoch, std::uint64_t sample,
                              std::span<const std::byte> payload, bool& stop_streaming) {
  ReaderTally& tally = *readers_[ctx.index];
  if (verify_seed_ && params_.verify) {
    if (auto wrong = formats::check_sample(payload, sample, *verify_seed_)) {
      throw InputError(fmt::format("sample {}: {}", sample, *wrong));
    }
    ++tally.verified;
  }
  ++tally.samples[epoch];
  tally.bytes[epoch] += payload.size();
  const std::uint64_t n = order_->samples();
  const std::uint64_t b = params_.batch_size;
  const std::uint64_t d = delivered_[epoch].fetch_add(1) + 1;
  const bool full = d % b == 0 && d / b <= pipeline_->batches_per_epoch();
  const bool last_partial = !params_.drop_last && d == n && n % b != 0;
  if (!full && !last_partial) return;
  // Batches form from records as they arrive, whichever reader read them (first come).
  auto ticket = pipeline_->claim(ctx.stop);
  if (!ticket) {
    stop_streaming = true;
    return;
  }
  pipeline_->loaded(ticket->seq);
}

void SamplesWorkload::accelerate(WorkerContext& ctx) {
  const unsigned a = ctx.index - params_.read_threads;
  AcceleratorTally& tally = *accelerators_[a];
  std::mt19937_64 rng(mix64(params_.seed + kGolden64 * (a + 1)));
  for (;;) {
    const std::uint64_t t0 = now_ns();
    const auto ticket = pipeline_->take(ctx.stop);
    if (!ticket) break;
    const std::uint64_t t1 = now_ns();
    const std::uint64_t compute = params_.compute.draw(rng);
    if (compute > 0) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(t1 + compute - now_ns()));
    }
    const std::uint64_t t2 = now_ns();
    pipeline_->consumed(*ticket);
    if (tally.all_steps++ == 0) {
      tally.first_wait_ns = t1 - t0;
      continue;
    }
    ++tally.steps[ticket->epoch];
    tally.wait_ns[ticket->epoch] += t1 - t0;
    tally.compute_ns[ticket->epoch] += t2 - t1;
    tally.waits.record(t1 - t0);
  }
  if (ctx.stop.load()) ctx.outcome.end = PumpEnd::interrupted;
}

nlohmann::json SamplesWorkload::summarize() const {
  nlohmann::json j;
  j["dataset"] = dataset_info_;
  j["epochs_planned"] = params_.epochs;
  j["batch_size"] = params_.batch_size;
  j["shuffle"] = to_string(params_.shuffle);
  j["read_threads"] = params_.read_threads;
  j["accelerators"] = params_.accelerators;
  j["prefetch"] = params_.prefetch;
  j["compute"] = params_.compute.to_json();
  if (!pipeline_) return j;
  j["batches_per_epoch"] = pipeline_->batches_per_epoch();
  j["alignment"] = readers_.empty() ? 1 : readers_.front()->alignment;

  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  std::uint64_t verified = 0;
  LatencyHistogram waits;
  std::uint64_t steps = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t compute_ns = 0;
  std::uint64_t first_wait = 0;
  for (const auto& r : readers_)
    verified += r->verified;
  for (const auto& a : accelerators_) {
    waits.merge(a->waits);
    first_wait = std::max(first_wait, a->first_wait_ns);
  }
  nlohmann::json rows = nlohmann::json::array();
  std::uint64_t epoch_ns = 0;
  for (unsigned e = 0; e < params_.epochs; ++e) {
    const EpochRow& row = epochs_[e];
    if (row.begin_ns == 0 || row.end_ns == 0) break;  // not finished (interrupted, failed)
    std::uint64_t es = 0;
    std::uint64_t eb = 0;
    for (const auto& r : readers_) {
      es += r->samples[e];
      eb += r->bytes[e];
    }
    std::uint64_t e_steps = 0;
    std::uint64_t e_wait = 0;
    std::uint64_t e_compute = 0;
    for (const auto& a : accelerators_) {
      e_steps += a->steps[e];
      e_wait += a->wait_ns[e];
      e_compute += a->compute_ns[e];
    }
    samples += es;
    bytes += eb;
    steps += e_steps;
    wait_ns += e_wait;
    compute_ns += e_compute;
    epoch_ns += row.end_ns - row.begin_ns;
    const double s = seconds(row.end_ns - row.begin_ns);
    nlohmann::json r{
        {"epoch", e},
        {"seconds", s},
        {"samples", es},
        {"delivered_bytes", eb},
        {"samples_per_s", ratio_or_null(static_cast<double>(es), s)},
        {"delivered_bytes_per_s", ratio_or_null(static_cast<double>(eb), s)},
        {"stall_s", seconds(e_wait)},
        {"au", params_.compute.none() ? nlohmann::json(nullptr)
                                      : ratio_or_null(static_cast<double>(e_compute),
                                                      static_cast<double>(e_compute + e_wait))}};
    if (row.residency) r["resident_fraction_before"] = row.residency->fraction();
    if (row.io_begin && row.io_end) {
      const std::uint64_t storage = row.io_end->read_bytes - row.io_begin->read_bytes;
      r["storage_read_bytes"] = storage;
      r["read_amplification"] =
          ratio_or_null(static_cast<double>(storage), static_cast<double>(eb));
    }
    rows.push_back(std::move(r));
  }
  // Time inside epochs: the residency measured between them is left out.
  const double wall = seconds(epoch_ns);
  j["epochs"] = rows;
  j["samples"] = samples;
  j["delivered_bytes"] = bytes;
  j["seconds"] = wall;
  j["samples_per_s"] = ratio_or_null(static_cast<double>(samples), wall);
  j["delivered_bytes_per_s"] = ratio_or_null(static_cast<double>(bytes), wall);
  j["steps"] = steps;
  j["au"] = params_.compute.none() ? nlohmann::json(nullptr)
                                   : ratio_or_null(static_cast<double>(compute_ns),
                                                   static_cast<double>(compute_ns + wait_ns));
  j["compute_s"] = seconds(compute_ns);
  j["stall_s"] = seconds(wait_ns);
  j["first_step_wait_s"] = seconds(first_wait);
  j["batch_wait_ns"] = {{"count", waits.count()},      {"mean", waits.mean()},
                        {"p50", waits.quantile(0.5)},  {"p90", waits.quantile(0.9)},
                        {"p99", waits.quantile(0.99)}, {"max", waits.max()}};
  j["verified_samples"] = params_.verify ? nlohmann::json(verified) : nlohmann::json(nullptr);
  j["read_mode"] = stream_ ? "stream" : "per-sample";
  if (stream_) {
    std::uint64_t inflate_ns = 0;
    for (const auto& r : readers_)
      inflate_ns += r->inflate_cpu_ns;
    j["decompress_cpu_s"] = seconds(inflate_ns);
  }
  return j;
}

WorkloadInfo samples_workload_info() {
  return {"samples",
          "training input pipeline: epochs of shuffled sample reads, batched and prefetched for "
          "simulated accelerators",
          [](ConfigNode& phase) -> std::unique_ptr<Workload> {
            return std::make_unique<SamplesWorkload>(SamplesWorkload::parse(phase));
          }};
}

}  // namespace aistor
