#include "workloads/pack_workload.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/free_space.hpp"
#include "core/sha256.hpp"
#include "core/unique_fd.hpp"
#include "engines/posix_io.hpp"
#include "engines/registry.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/range_reader.hpp"

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
  const auto j = nlohmann::json::parse(in, nullptr, false);
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
  const auto tmp = dir / (std::string(kPackManifest) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out.flush()) throw_system(EIO, "write", tmp.string());
  }
  if (::rename(tmp.c_str(), (dir / kPackManifest).c_str()) != 0)
    throw_errno("rename", tmp.string());
}

// The bytes of one unit, read untimed with plain preads (for verification).
std::vector<std::byte> read_unit(const PackSourceFile& f, const PackUnit& u) {
  const UniqueFd fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", f.path.string());
  std::vector<std::byte> b(u.bytes);
  const auto n = pread_full(fd.get(), b.data(), b.size(), u.offset);
  if (n < 0) throw_system(static_cast<int>(-n), "pread", f.path.string());
  if (static_cast<std::uint64_t>(n) != u.bytes)
    throw InputError(fmt::format("{}: ends before byte {}", f.path.string(), u.offset + u.bytes));
  return b;
}

// The source's samples of a run of units, in order, one unit in memory at a time.
class Expected {
 public:
  Expected(const PackSource& s, std::size_t first, std::size_t end)
      : s_(s), unit_(first), end_(end) {}
  // The next sample, or nullopt past the last.
  std::optional<std::span<const std::byte>> next() {
    while (at_ == samples_.size()) {
      if (unit_ == end_) return std::nullopt;
      const PackUnit& u = s_.units()[unit_++];
      bytes_ = read_unit(s_.files()[u.file], u);
      samples_.clear();
      at_ = 0;
      s_.decode(u, bytes_, [&](std::span<const std::byte> x) { samples_.push_back(x); });
      where_ = fmt::format("{} byte {}", s_.files()[u.file].path.string(), u.offset);
    }
    return samples_[at_++];
  }
  [[nodiscard]] const std::string& where() const { return where_; }

 private:
  const PackSource& s_;
  std::size_t unit_, end_;
  std::vector<std::byte> bytes_;
  std::vector<std::span<const std::byte>> samples_;
  std::size_t at_ = 0;
  std::string where_;
};

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
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
                 ctx.progress, ctx.stop_on_error);
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

void PackWorkload::verify_target(const Target& t) const {
  Expected want(*source_, t.first_unit, t.end_unit);
  std::uint64_t got = 0;
  auto compare = [&](std::span<const std::byte> sample, std::uint64_t offset) {
    const auto w = want.next();
    if (!w)
      throw InputError(fmt::format("{}: sample {} at offset {}: more samples than the source has",
                                   t.path.string(), got, offset));
    if (!same(*w, sample))
      throw InputError(fmt::format("{}: sample {} at offset {} differs from its source ({})",
                                   t.path.string(), got, offset, want.where()));
    ++got;
  };
  if (params_.target == PackTarget::tfrecord) {
    (void)formats::scan_tfrecord(
        t.path, /*verify_crc=*/true,
        [&](std::uint64_t, std::uint64_t offset, std::span<const std::byte> payload) {
          compare(payload, offset);
        });
    const auto index = formats::read_tfrecord_index(t.path, 0);
    if (index.size() != t.samples)
      throw InputError(fmt::format("{}.idx: {} entries for {} samples", t.path.string(),
                                   index.size(), t.samples));
  } else {
    const auto f = formats::FfRecordFile::open(t.path, 0);
    f.verify();
    std::vector<std::byte> buf;
    for (std::uint64_t i = 0; i < f.size(); ++i) {
      buf.resize(f.ref(i).length);
      f.read(i, buf);
      compare(buf, f.ref(i).offset);
    }
  }
  if (got != t.samples || want.next())
    throw InputError(
        fmt::format("{}: {} samples where its source has {}", t.path.string(), got, t.samples));
}

nlohmann::json PackWorkload::summarize() const {
  nlohmann::json j{{"read_only", params_.read_only}, {"threads", params_.threads}};
  if (!source_) return j;
  j["source"] = source_->describe();
  j["source"].update(source_info_);
  std::uint64_t end = 0;
  for (auto e : end_ns_)
    end = std::max(end, e);
  const double elapsed =
      end > start_ns_ && start_ns_ != 0 ? static_cast<double>(end - start_ns_) / 1e9 : 0.0;
  // What this process packed: all of it, or under mpirun this rank's targets.
  std::uint64_t payload = 0, bytes = 0, files = 0;
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (!ours(t)) continue;
    payload += targets_[t].payload_bytes;
    bytes += target_file_bytes(params_.target, targets_[t].samples, targets_[t].payload_bytes);
    ++files;
  }
  j["payload_bytes"] = payload;
  j["elapsed_s"] = elapsed;
  j["throughput_bytes_per_s"] = elapsed > 0 ? static_cast<double>(payload) / elapsed : 0.0;
  j["read_block"] = params_.read_block;
  if (!params_.read_only) {
    j["target"] = {{"format", to_string(params_.target)},
                   {"dir", out_dir_.string()},
                   {"files", files},
                   {"file_bytes", bytes}};
    j["write_block"] = params_.write_block;
    j["write_engine"] =
        write_engines_.empty() ? to_json(params_.write_engine) : write_engines_.front()->describe();
    j["verified"] = verified_;
  }
  return j;
}

// Every rank's figures as one pack: payload, files and bytes add up; it took as long as the
// slowest rank.
nlohmann::json PackWorkload::summarize_ranks(const std::vector<nlohmann::json>& per_rank) const {
  if (per_rank.empty() || !per_rank.front().is_object()) return nullptr;
  nlohmann::json j = per_rank.front();
  std::uint64_t payload = 0, files = 0, bytes = 0, verified_files = 0, verified_samples = 0;
  double elapsed = 0;
  bool verified = !params_.read_only && params_.verify;
  for (const auto& m : per_rank) {
    if (!m.is_object()) continue;
    payload += m.value("payload_bytes", std::uint64_t{0});
    elapsed = std::max(elapsed, m.value("elapsed_s", 0.0));
    if (m.contains("target")) {
      files += m["target"].value("files", std::uint64_t{0});
      bytes += m["target"].value("file_bytes", std::uint64_t{0});
    }
    if (m.contains("verified") && m["verified"].is_object()) {
      verified_files += m["verified"].value("files", std::uint64_t{0});
      verified_samples += m["verified"].value("samples", std::uint64_t{0});
    } else {
      verified = false;
    }
  }
  j["payload_bytes"] = payload;
  j["elapsed_s"] = elapsed;
  j["throughput_bytes_per_s"] = elapsed > 0 ? static_cast<double>(payload) / elapsed : 0.0;
  if (j.contains("target")) {
    j["target"]["files"] = files;
    j["target"]["file_bytes"] = bytes;
  }
  if (verified) {
    j["verified"]["files"] = verified_files;
    j["verified"]["samples"] = verified_samples;
    j["verified"].erase("seconds");  // per rank, in its row
  }
  return j;
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
