#include "workloads/samples/samples_workload.hpp"

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
#include "workloads/common/request_alignment.hpp"
#include "workloads/samples/sample_source.hpp"
#include "workloads/samples/samples_tallies.hpp"

namespace aistor {
namespace {

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

nlohmann::json ratio_or_null(double num, double den) {
  return den > 0 ? nlohmann::json(num / den) : nlohmann::json(nullptr);
}

}  // namespace

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

// Untimed: each reader probes the O_DIRECT alignment and opens the record files, as a loader
// opens its files when it is built, before its first epoch (a raw tree's are opened per sample,
// timed). An mmap engine maps them here (with `populate`, page tables and all).
void SamplesWorkload::before_start(WorkerContext& ctx) {
  if (ctx.index >= params_.read_threads) return;
  if (stream_ && ctx.engine.device_memory()) {
    throw InputError(fmt::format(
        "engine \"{}\" delivers into GPU memory, and a compressed TFRecord dataset is inflated "
        "on the CPU from the bytes read: use a host engine, or an uncompressed dataset",
        ctx.engine.describe().value("name", "")));
  }
  if (!stream_) open_files(ctx);
}

void SamplesWorkload::open_files(WorkerContext& ctx) {
  ReaderTally& tally = *readers_[ctx.index];
  if (tally.ready) return;
  const auto& index = *index_;
  const bool raw = index.spec() && index.spec()->format == formats::DatasetFormat::raw;
  // A regular file to probe: statx reports O_DIRECT alignment for files only.
  tally.alignment =
      request_alignment(ctx.engine, raw ? index.path_of(index.at(0)) : files_.front());
  if (!raw) {
    for (const auto& path : files_)
      tally.files.push_back(ctx.engine.open(path, Access::read));
  }
  tally.ready = true;
}

void SamplesWorkload::read(WorkerContext& ctx) {
  ReaderTally& tally = *readers_[ctx.index];
  const auto& index = *index_;
  open_files(ctx);  // done by before_start already
  const std::uint32_t alignment = tally.alignment;
  const std::vector<FileId>& files = tally.files;
  for (std::size_t f = 0; f < files.size(); ++f)
    ctx.recorder.name_file(files[f], files_[f].string());
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
  tally.files.clear();
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

SamplesWorkload::EpochTotals SamplesWorkload::epoch_totals(unsigned e) const {
  EpochTotals t;
  for (const auto& r : readers_) {
    t.samples += r->samples[e];
    t.bytes += r->bytes[e];
  }
  for (const auto& a : accelerators_) {
    t.steps += a->steps[e];
    t.wait_ns += a->wait_ns[e];
    t.compute_ns += a->compute_ns[e];
  }
  t.ns = epochs_[e].end_ns - epochs_[e].begin_ns;
  return t;
}

nlohmann::json SamplesWorkload::epoch_json(unsigned e, const EpochTotals& t) const {
  const EpochRow& row = epochs_[e];
  const double s = seconds(t.ns);
  nlohmann::json r{{"epoch", e},
                   {"seconds", s},
                   {"samples", t.samples},
                   {"delivered_bytes", t.bytes},
                   {"samples_per_s", ratio_or_null(static_cast<double>(t.samples), s)},
                   {"delivered_bytes_per_s", ratio_or_null(static_cast<double>(t.bytes), s)},
                   {"stall_s", seconds(t.wait_ns)},
                   {"au", params_.compute.none()
                              ? nlohmann::json(nullptr)
                              : ratio_or_null(static_cast<double>(t.compute_ns),
                                              static_cast<double>(t.compute_ns + t.wait_ns))}};
  if (row.residency) r["resident_fraction_before"] = row.residency->fraction();
  if (row.io_begin && row.io_end) {
    const std::uint64_t storage = row.io_end->read_bytes - row.io_begin->read_bytes;
    r["storage_read_bytes"] = storage;
    r["read_amplification"] =
        ratio_or_null(static_cast<double>(storage), static_cast<double>(t.bytes));
  }
  return r;
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

  std::uint64_t verified = 0;
  LatencyHistogram waits;
  std::uint64_t first_wait = 0;
  for (const auto& r : readers_)
    verified += r->verified;
  for (const auto& a : accelerators_) {
    waits.merge(a->waits);
    first_wait = std::max(first_wait, a->first_wait_ns);
  }
  nlohmann::json rows = nlohmann::json::array();
  EpochTotals all;
  for (unsigned e = 0; e < params_.epochs; ++e) {
    if (epochs_[e].begin_ns == 0 || epochs_[e].end_ns == 0) break;  // not finished
    const EpochTotals t = epoch_totals(e);
    rows.push_back(epoch_json(e, t));
    all.samples += t.samples;
    all.bytes += t.bytes;
    all.steps += t.steps;
    all.wait_ns += t.wait_ns;
    all.compute_ns += t.compute_ns;
    all.ns += t.ns;
  }
  const std::uint64_t samples = all.samples;
  const std::uint64_t bytes = all.bytes;
  const std::uint64_t steps = all.steps;
  const std::uint64_t wait_ns = all.wait_ns;
  const std::uint64_t compute_ns = all.compute_ns;
  const std::uint64_t epoch_ns = all.ns;
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

// Every rank's figures as one training job: samples, bytes, steps and times spent add up, an
// epoch lasts as long as its slowest rank, rates are over that, AU over the summed times.
nlohmann::json SamplesWorkload::summarize_ranks(const std::vector<nlohmann::json>& per_rank) const {
  if (per_rank.empty() || !per_rank.front().is_object()) return nullptr;
  nlohmann::json j = per_rank.front();
  const auto sum = [&](const nlohmann::json& rows, const char* key) {
    double v = 0;
    for (const auto& m : rows)
      v += m.is_object() && m.contains(key) && m[key].is_number() ? m[key].get<double>() : 0.0;
    return v;
  };
  const auto largest = [&](const nlohmann::json& rows, const char* key) {
    double v = 0;
    for (const auto& m : rows)
      v = std::max(
          v, m.is_object() && m.contains(key) && m[key].is_number() ? m[key].get<double>() : 0.0);
    return v;
  };
  const auto rates = [&](nlohmann::json& out, double samples, double bytes, double wall,
                         double compute, double stall) {
    out["samples_per_s"] = ratio_or_null(samples, wall);
    out["delivered_bytes_per_s"] = ratio_or_null(bytes, wall);
    out["au"] =
        params_.compute.none() ? nlohmann::json(nullptr) : ratio_or_null(compute, compute + stall);
  };
  const nlohmann::json all(per_rank);
  const double samples = sum(all, "samples");
  const double bytes = sum(all, "delivered_bytes");
  j["samples"] = static_cast<std::uint64_t>(samples);
  j["delivered_bytes"] = static_cast<std::uint64_t>(bytes);
  j["steps"] = static_cast<std::uint64_t>(sum(all, "steps"));
  j["seconds"] = largest(all, "seconds");
  j["compute_s"] = sum(all, "compute_s");
  j["stall_s"] = sum(all, "stall_s");
  j["first_step_wait_s"] = largest(all, "first_step_wait_s");
  if (params_.verify)
    j["verified_samples"] = static_cast<std::uint64_t>(sum(all, "verified_samples"));
  if (j.contains("decompress_cpu_s")) j["decompress_cpu_s"] = sum(all, "decompress_cpu_s");
  rates(j, samples, bytes, j["seconds"].get<double>(), j["compute_s"].get<double>(),
        j["stall_s"].get<double>());
  j.erase("batch_wait_ns");  // a histogram per rank: in the rank rows
  j["dataset"].erase("rank_samples");
  nlohmann::json epochs = nlohmann::json::array();
  for (std::size_t e = 0; e < j["epochs"].size(); ++e) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& m : per_rank) {
      if (m.is_object() && m.contains("epochs") && e < m["epochs"].size())
        rows.push_back(m["epochs"][e]);
    }
    if (rows.size() != per_rank.size()) break;  // an epoch some rank did not finish
    nlohmann::json row{
        {"epoch", e},
        {"ranks", rows.size()},
        {"seconds", largest(rows, "seconds")},
        {"samples", static_cast<std::uint64_t>(sum(rows, "samples"))},
        {"delivered_bytes", static_cast<std::uint64_t>(sum(rows, "delivered_bytes"))},
        {"stall_s", sum(rows, "stall_s")}};
    rates(row, sum(rows, "samples"), sum(rows, "delivered_bytes"), row["seconds"].get<double>(), 0,
          0);
    row["au"] = nullptr;  // per rank (its rows): the compute of an epoch is not kept apart
    if (rows[0].contains("storage_read_bytes")) {
      row["storage_read_bytes"] = static_cast<std::uint64_t>(sum(rows, "storage_read_bytes"));
      row["read_amplification"] =
          ratio_or_null(sum(rows, "storage_read_bytes"), sum(rows, "delivered_bytes"));
    }
    epochs.push_back(std::move(row));
  }
  j["epochs"] = epochs;
  return j;
}

WorkloadInfo samples_workload_info() {
  WorkloadInfo info{
      "samples",
      "training input pipeline: epochs of shuffled sample reads, batched and prefetched for "
      "simulated accelerators",
      [](ConfigNode& phase) -> std::unique_ptr<Workload> {
        return std::make_unique<SamplesWorkload>(SamplesWorkload::parse(phase));
      }};
  info.over_ranks = true;
  info.device_memory = true;  // samples land in GPU memory; verify copies each one back
  return info;
}

}  // namespace aistor
