// The samples workload on GZIP/ZLIB TFRecord datasets, which have no random access: readers
// stream whole files in the epoch's file order and batches form from records as they arrive.
#include <fmt/format.h>

#include <atomic>
#include <functional>

#include "core/error.hpp"
#include "workloads/common/request_alignment.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/tfrecord_stream.hpp"
#include "workloads/samples/samples_tallies.hpp"
#include "workloads/samples/samples_workload.hpp"

namespace aistor {

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

}  // namespace aistor
