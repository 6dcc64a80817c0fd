#include "workloads/pack/pack_workload.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/free_space.hpp"
#include "core/json_guard.hpp"
#include "core/sha256.hpp"
#include "engines/registry.hpp"
#include "workloads/pack/range_reader.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMaxBlock = 1u << 30;

// The output directory is ours when it is new, empty, or holds our manifest; the files an old
// manifest lists are removed before packing again.
void claim_output(const fs::path& dir) {
  fs::create_directories(dir);
  const auto manifest = dir / kPackManifest;
  std::ifstream in(manifest);
  if (!in) {
    if (fs::directory_iterator(dir) != fs::directory_iterator())
      throw InputError(
          fmt::format("{}: holds files aistor did not pack (no {}); give an empty or "
                      "new target directory",
                      dir.string(), kPackManifest));
    return;
  }
  const auto j = nlohmann::json::parse(in, json_depth_guard(manifest.string()), false);
  if (j.is_discarded() || j.value("generator", "") != "aistor" || !j.contains("files"))
    throw InputError(fmt::format("{}: not a valid aistor pack manifest", manifest.string()));
  for (const auto& f : j["files"]) {
    const fs::path rel = f.get<std::string>();
    if (rel.is_absolute() || rel.has_parent_path()) continue;
    std::error_code ec;
    for (const char* ext : {"", ".idx", ".tmp", ".idx.tmp"})
      fs::remove(dir / (rel.string() + ext), ec);
  }
}

void write_manifest(const fs::path& dir, const nlohmann::json& j) {
  write_file_durably(dir / kPackManifest, j.dump(2) + "\n");
}

}  // namespace

PackParams PackWorkload::parse(ConfigNode& phase) {
  PackParams p;
  {
    ConfigNode src = phase.object("source");
    if (src.has("dataset") == src.has("path"))
      src.fail("dataset",
               "give exactly one of \"dataset\" (generated, or reused when it exists) "
               "and \"path\" (an existing dataset, directory or file)");
    if (src.has("dataset")) {
      ConfigNode d = src.object("dataset");
      p.dataset = formats::parse_dataset_spec(d);
      if (p.dataset->format != formats::DatasetFormat::raw &&
          p.dataset->format != formats::DatasetFormat::arrow &&
          p.dataset->format != formats::DatasetFormat::tfrecord)
        src.fail("dataset", "pack sources are raw, arrow or tfrecord datasets");
    } else {
      p.path = src.string("path", std::nullopt);
    }
    if (src.has("format")) {
      if (p.dataset) src.fail("format", "a generated dataset's format is its dataset's");
      p.source_format =
          parse_pack_format(src.choice("format", "raw", {"raw", "arrow", "tfrecord"}));
    }
    p.column = src.string("column", "");
    src.finish();
  }
  p.read_only = phase.boolean("read_only", false);
  if (phase.has("target")) {
    if (p.read_only) phase.fail("target", "a read-only pass writes nothing");
    ConfigNode t = phase.object("target");
    p.target = t.choice("format", std::nullopt, {"tfrecord", "ffrecord"}) == "ffrecord"
                   ? PackTarget::ffrecord
                   : PackTarget::tfrecord;
    p.target_files = static_cast<std::uint32_t>(t.integer("files", 0, 1, 1 << 20));
    p.target_dir = t.string("dir", "");
    if (p.target_dir.find('/') != std::string::npos || p.target_dir == ".." || p.target_dir == ".")
      t.fail("dir", "must be a plain name inside the phase's directory");
    t.finish();
  } else if (!p.read_only) {
    phase.fail("target",
               "say what to pack into: {\"format\": \"tfrecord\" | \"ffrecord\"}, or "
               "\"read_only\": true");
  }
  if (p.target_dir.empty())
    p.target_dir = fmt::format("packed-{}", p.read_only ? "none" : to_string(p.target));
  p.threads = static_cast<unsigned>(phase.integer("threads", 1, 1, 1024));
  p.read_block = static_cast<std::uint32_t>(phase.size("read_block", p.read_block, 512, kMaxBlock));
  p.write_block =
      static_cast<std::uint32_t>(phase.size("write_block", p.write_block, 4096, kMaxBlock));
  p.unit_bytes = phase.size("unit_bytes", p.unit_bytes, 1, 1ULL << 32);
  p.write_behind = static_cast<unsigned>(phase.integer("write_behind", p.write_behind, 0, 64));
  if (p.read_only && phase.has("write_behind"))
    phase.fail("write_behind", "a read-only pass writes nothing");
  p.verify = phase.boolean("verify", true);
  if (phase.has("write_engine")) {
    if (p.read_only) phase.fail("write_engine", "a read-only pass writes nothing");
    ConfigNode e = phase.object("write_engine");
    p.write_engine = parse_engine_config(e);
  } else if (phase.has("engine")) {
    ConfigNode e = phase.object("engine");  // read again: the same kind writes
    p.write_engine = parse_engine_config(e);
  }
  const EngineInfo* we = find_engine(p.write_engine.name);
  if (we != nullptr && we->device_memory)
    phase.fail("write_engine", fmt::format("engine {} delivers into GPU memory; pack writes from "
                                           "host memory",
                                           p.write_engine.name));
  if (p.write_engine.name == "mmap" && !p.read_only)
    phase.fail(phase.has("write_engine") ? "write_engine" : "engine",
               "mmap cannot grow the files pack writes: write with pread, odirect or io_uring "
               "(\"write_engine\")");
  return p;
}

PackWorkload::PackWorkload(PackParams params) : params_(std::move(params)) {}

Goal PackWorkload::goal() const {
  Goal g;
  if (!source_) return g;
  for (const auto& f : source_->files())
    g.bytes += f.bytes;
  if (!params_.read_only)
    for (const auto& t : targets_)
      g.bytes += target_file_bytes(params_.target, t.samples, t.payload_bytes);
  return g;
}

std::vector<fs::path> PackWorkload::prepare(const PhaseEnv& env) {
  rank_ = env.rank;
  ranks_ = env.ranks;
  fs::path src = params_.path;
  source_info_ = nlohmann::json::object();
  if (params_.dataset) {
    const auto spec_json = formats::to_json(*params_.dataset);
    src = env.dir / fmt::format("dataset-{}-{}", formats::to_string(params_.dataset->format),
                                sha256_hex(spec_json.dump()).substr(0, 12));
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    const auto g = formats::generate_dataset(*params_.dataset, src, threads, env.stop);
    source_info_["generated"] = !g.reused;
    source_info_["generate_s"] = g.seconds;
    source_info_["dataset"] = spec_json;
  }
  source_.emplace(PackSource::open(src, params_.source_format, params_.column, params_.unit_bytes));
  if (source_->units().empty())
    throw InputError(fmt::format("{}: nothing to pack (no samples)", src.string()));
  prepare_targets(env);
  write_engines_.clear();
  if (!params_.read_only) {
    for (unsigned w = 0; w < params_.threads; ++w) {
      EngineConfig c = params_.write_engine;
      c.worker = w;
      write_engines_.push_back(make_engine(c));
    }
  }
  end_ns_.assign(params_.threads, 0);
  verified_ = nullptr;
  std::vector<fs::path> files;
  for (const auto& f : source_->files())
    files.push_back(f.path);
  return files;
}

void PackWorkload::prepare_targets(const PhaseEnv& env) {
  const auto& units = source_->units();
  std::uint64_t n = params_.target_files;
  if (n == 0) {
    // As many as the source has record files, or one per GiB of a raw tree; one per worker at
    // least.
    n = source_->format() == PackFormat::raw ? (source_->payload_bytes() + (1ULL << 30) - 1) >> 30
                                             : source_->files().size();
    n = std::max<std::uint64_t>(n, std::uint64_t{params_.threads} * ranks_);
  }
  n = std::clamp<std::uint64_t>(n, 1, units.size());
  out_dir_ = env.dir / params_.target_dir;
  targets_.clear();
  nlohmann::json names = nlohmann::json::array();
  // Where each target's units start: one target per source file when the counts agree (each
  // file packed whole, read from its start); otherwise runs of units of about equal bytes.
  std::vector<std::size_t> starts(n + 1, units.size());
  starts[0] = 0;
  if (source_->format() != PackFormat::raw && n == source_->files().size()) {
    for (std::size_t u = units.size(); u-- > 0;)
      starts[units[u].file] = u;
  } else {
    std::uint64_t total = 0, at = 0;
    for (const auto& u : units)
      total += u.bytes;
    for (std::size_t u = 0, t = 1; u < units.size(); at += units[u].bytes, ++u) {
      while (t < n && (u == units.size() - (n - t) ||
                       static_cast<double>(at) * static_cast<double>(n) >=
                           static_cast<double>(total) * static_cast<double>(t)))
        starts[t++] = u;
    }
  }
  for (std::uint64_t t = 0; t < n; ++t) {
    Target target;
    target.first_unit = starts[t];
    target.end_unit = starts[t + 1];
    for (std::size_t u = target.first_unit; u < target.end_unit; ++u) {
      target.samples += units[u].samples;
      target.payload_bytes += units[u].payload_bytes;
    }
    const char* ext = params_.target == PackTarget::ffrecord ? "ffr" : "tfrecord";
    const auto name = fmt::format("part-{:05}-of-{:05}.{}", t, n, ext);
    target.path = out_dir_ / name;
    names.push_back(name);
    targets_.push_back(std::move(target));
  }
  if (params_.read_only) return;
  claim_output(out_dir_);
  std::uint64_t bytes = 0;
  for (const auto& t : targets_)
    bytes += target_file_bytes(params_.target, t.samples, t.payload_bytes);
  require_free_space(out_dir_, bytes, "the packed files");
  // Listed before a byte is written, so whatever an interrupted pack leaves is known to be ours.
  write_manifest(out_dir_, {{"generator", "aistor"},
                            {"kind", "pack"},
                            {"target", to_string(params_.target)},
                            {"files", names},
                            {"complete", false}});
}

void PackWorkload::run(WorkerContext& ctx) {
  if (ctx.index == 0) start_ns_ = ctx.start_ns;  // the same for every worker: one writes it
  const std::uint64_t window =
      std::max<std::uint64_t>(8ULL << 20, source_->largest_unit() + 2ULL * params_.read_block);
  RangeReader reader(ctx.engine, ctx.queue_depth, params_.read_block, window, ctx.recorder,
                     ctx.stop, ctx.progress, ctx.stop_on_error);
  // The write engine numbers its files on its own: its ops go to a recorder of their own (so
  // file names and sequentiality do not mix with the reads'), merged in at the end.
  Recorder writes(ctx.start_ns, ctx.recorder.interval_ns());
  std::optional<PackSink> sink;
  if (!params_.read_only) {
    Engine& we = *write_engines_.at(ctx.index);
    sink.emplace(we, params_.write_engine.queue_depth, params_.write_block, writes, ctx.stop,
                 ctx.progress, ctx.stop_on_error, params_.write_behind);
  }
  try {
    const std::size_t all = std::size_t{params_.threads} * ranks_;
    for (std::size_t t = std::size_t{rank_} * params_.threads + ctx.index; t < targets_.size();
         t += all)
      pack(ctx, targets_[t], reader, sink ? &*sink : nullptr);
  } catch (const PumpStopped& s) {
    ctx.outcome = s.outcome;
  }
  end_ns_.at(ctx.index) = now_ns();
  sink.reset();  // a file left unfinished is removed before its figures are taken
  ctx.recorder.merge(writes);
}

void PackWorkload::pack(WorkerContext& ctx, const Target& t, RangeReader& reader, PackSink* sink) {
  const auto& units = source_->units();
  if (sink != nullptr) sink->open(t.path, params_.target, t.samples);
  // read_only: the samples are decoded and dropped (the seed's "read only" column).
  const SampleSink emit = [&](std::span<const std::byte> s) {
    if (sink != nullptr) sink->append(s);
  };
  for (std::size_t u = t.first_unit; u < t.end_unit;) {
    if (ctx.stop.load(std::memory_order_relaxed)) throw PumpStopped{{PumpEnd::interrupted, 0}};
    // One sequential pass over the units of this file that this target packs.
    const std::uint32_t file = units[u].file;
    std::size_t last = u;
    while (last + 1 < t.end_unit && units[last + 1].file == file)
      ++last;
    const auto& f = source_->files()[file];
    reader.open(f.path, f.bytes, units[u].offset, units[last].offset + units[last].bytes);
    for (; u <= last; ++u)
      source_->decode(units[u], reader.get(units[u].offset, units[u].bytes), emit);
    reader.close();
  }
  if (sink != nullptr) sink->finish();
}

bool PackWorkload::ours(std::size_t target) const {
  const std::size_t all = std::size_t{params_.threads} * ranks_;
  return target % all / params_.threads == rank_;
}

void PackWorkload::check(const PhaseEnv& env) {
  if (params_.read_only) return;
  if (params_.verify) {
    const std::uint64_t t0 = now_ns();
    std::uint64_t samples = 0;
    std::uint64_t files = 0;
    for (std::size_t t = 0; t < targets_.size(); ++t) {
      if (!ours(t)) continue;  // another rank's: it checks its own
      verify_target(targets_[t]);
      samples += targets_[t].samples;
      ++files;
    }
    verified_ = {{"files", files},
                 {"samples", samples},
                 {"seconds", static_cast<double>(now_ns() - t0) / 1e9},
                 {"checked", "every CRC, every sample equal to its source"}};
  }
  if (ranks_ == 1) every_rank_checked(env);
}

void PackWorkload::every_rank_checked(const PhaseEnv& /*env*/) {
  if (params_.read_only) return;
  nlohmann::json names = nlohmann::json::array();
  for (const auto& t : targets_)
    names.push_back(t.path.filename().string());
  write_manifest(out_dir_, {{"generator", "aistor"},
                            {"kind", "pack"},
                            {"target", to_string(params_.target)},
                            {"files", names},
                            {"source", source_->describe()},
                            {"complete", true}});
}

WorkloadInfo pack_workload_info() {
  WorkloadInfo info{
      "pack",
      "dataset packing: raw files, Arrow or TFRecord into TFRecord or FFRecord, read and "
      "write engines apart, verified after",
      [](ConfigNode& phase) -> std::unique_ptr<Workload> {
        return std::make_unique<PackWorkload>(PackWorkload::parse(phase));
      }};
  info.over_ranks = true;
  return info;
}

}  // namespace aistor
