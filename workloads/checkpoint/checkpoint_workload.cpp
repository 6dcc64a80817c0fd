#include "workloads/checkpoint/checkpoint_workload.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/align.hpp"
#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/free_space.hpp"
#include "core/unique_fd.hpp"
#include "core/units.hpp"
#include "engines/engine_file.hpp"
#include "workloads/client_result.hpp"
#include "workloads/common/request_alignment.hpp"

namespace aistor {
namespace {

// Sequential blocks of one shard; writes are stamped with their block header. With `state` (the
// shard in GPU memory, already holding what is written) each request's buffer is its place there.
class ShardSource final : public RequestSource {
 public:
  ShardSource(Op op, FileId file, unsigned rank, std::uint64_t bytes, std::uint32_t block,
              std::uint32_t alignment, std::byte* state)
      : op_(op),
        file_(file),
        rank_(rank),
        bytes_(bytes),
        block_(block),
        alignment_(alignment),
        state_(state) {}

  bool next(IoRequest& r) override {
    if (offset_ >= bytes_) return false;
    const std::uint64_t len = std::min<std::uint64_t>(block_, bytes_ - offset_);
    r.op = op_;
    r.file = file_;
    r.offset = offset_;
    r.length = static_cast<std::uint32_t>(align_up(len, alignment_));
    r.to_eof = op_ == Op::read && r.length > len;
    r.tag = len;
    if (state_ != nullptr) r.buf = state_ + offset_;
    padded_ = padded_ || r.length > len;
    offset_ += len;
    return true;
  }
  void stamp(IoRequest& r) override {
    if (op_ != Op::write || state_ != nullptr) return;
    const std::uint64_t index = r.offset / block_;
    stamp_block(std::span(r.buf, static_cast<std::size_t>(r.tag)), rank_, index, r.offset);
  }
  [[nodiscard]] bool padded() const noexcept { return padded_; }

 private:
  Op op_;
  FileId file_;
  unsigned rank_;
  std::uint64_t bytes_;
  std::uint32_t block_;
  std::uint32_t alignment_;
  std::byte* state_;
  std::uint64_t offset_ = 0;
  bool padded_ = false;
};

std::string shard_name(unsigned rank) {
  return fmt::format("rank-{:05}.ckpt", rank);
}

}  // namespace

CheckpointParams CheckpointWorkload::parse(ConfigNode& phase) {
  CheckpointParams p;
  p.save = phase.choice("op", "save", {"save", "restore"}) == "save";
  p.spec = parse_checkpoint_spec(phase);
  // Not "name": that key names the phase.
  p.name = phase.string("checkpoint_dir", p.name);
  if (p.name.empty() || p.name.find('/') != std::string::npos || p.name == "." || p.name == "..") {
    phase.fail("checkpoint_dir", "must be a plain directory name");
  }
  p.block = static_cast<std::uint32_t>(phase.size("block_size", 1 << 20, 4096, 1u << 30));
  p.restore_shift = static_cast<unsigned>(phase.integer("restore_shift", 0, 0, 1 << 20));
  p.verify = phase.boolean("verify", false);
  p.seed = static_cast<std::uint64_t>(phase.integer("seed", 1, 0));
  if (phase.has("rhythm")) {
    if (!p.save) phase.fail("rhythm", "applies to op \"save\"");
    ConfigNode r = phase.object("rhythm");
    CheckpointParams::Rhythm rhythm;
    rhythm.checkpoints = static_cast<unsigned>(r.integer("checkpoints", std::nullopt, 1, 100000));
    rhythm.compute_ns = r.duration_ns("compute", std::nullopt);
    rhythm.async = r.boolean("async", false);
    r.finish();
    p.rhythm = rhythm;
  }
  if (p.save && (phase.has("restore_shift") || phase.has("verify"))) {
    phase.fail(phase.has("verify") ? "verify" : "restore_shift", "applies to op \"restore\"");
  }
  return p;
}

namespace {

// Whether every entry of `dir` is a shard file aistor writes ("rank-NNNNN.ckpt", or its ".tmp").
bool only_shards(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with("rank-") || !(name.ends_with(".ckpt") || name.ends_with(".ckpt.tmp"))) {
      return false;
    }
  }
  return !ec;
}

}  // namespace

CheckpointWorkload::CheckpointWorkload(CheckpointParams params)
    : params_(std::move(params)), shards_(params_.spec.rank_shards()) {}

unsigned CheckpointWorkload::workers() const {
  if (!mine_.empty()) return static_cast<unsigned>(mine_.size());
  unsigned n = 0;
  for (const auto& s : shards_)
    n += s.bytes() > 0 ? 1 : 0;
  return std::max(n, 1u);
}

Goal CheckpointWorkload::goal() const {
  return {params_.spec.size.bytes(), 0};
}

std::vector<std::filesystem::path> CheckpointWorkload::prepare(const PhaseEnv& env) {
  dir_ = env.dir / params_.name;
  rank_ = env.rank;
  ranks_ = env.ranks;
  mine_.clear();
  times_.clear();
  finished_ = 0;
  succeeded_ = 0;
  nlohmann::json layout{{"model", params_.spec.model},
                        {"bytes", params_.spec.size.bytes()},
                        {"parallel",
                         {{"tp", params_.spec.layout.tp},
                          {"pp", params_.spec.layout.pp},
                          {"dp", params_.spec.layout.dp},
                          {"zero", params_.spec.layout.zero}}}};
  return params_.save ? prepare_save(env, layout) : prepare_restore(layout);
}

// Restore: the manifest must be there and match this phase's layout, and every shard this
// process reads (shifted by restore_shift) must have the size it lists; those are the files the
// cache policy applies to.
std::vector<std::filesystem::path> CheckpointWorkload::prepare_restore(
    const nlohmann::json& layout) {
  namespace fs = std::filesystem;
  auto m = read_checkpoint_manifest(dir_);
  if (!m) {
    throw InputError(
        fmt::format("{}: no checkpoint to restore ({} missing): run a save phase "
                    "with the same checkpoint_dir first",
                    dir_.string(), kCheckpointManifest));
  }
  if (m->layout != layout) {
    throw InputError(
        fmt::format("{}: the checkpoint there was saved with {}, this phase asks "
                    "for {}",
                    dir_.string(), m->layout.dump(), layout.dump()));
  }
  manifest_ = std::move(*m);
  share_files();
  std::vector<fs::path> files;
  for (std::size_t w = 0; w < mine_.size(); ++w) {
    const ShardFile& f = shard_of(w);
    files.push_back(dir_ / f.name);
    std::error_code ec;
    const auto size = fs::file_size(files.back(), ec);
    if (ec) throw_system(ec.value(), "stat", files.back().string());
    if (size != f.bytes) {  // found before the timed reads, which would only see a short read
      throw InputError(fmt::format("{}: offset {}: {} ({} bytes, the manifest says {})",
                                   files.back().string(), std::min(size, f.bytes),
                                   size < f.bytes ? "truncated" : "longer than written", size,
                                   f.bytes));
    }
  }
  return files;
}

std::vector<std::filesystem::path> CheckpointWorkload::prepare_save(const PhaseEnv& env,
                                                                    const nlohmann::json& layout) {
  namespace fs = std::filesystem;
  // Save: the directory must be ours (absent, empty, or holding a checkpoint manifest; for the
  // ranks after rank 0, which prepare after it removed that manifest, holding only shards).
  std::error_code ec;
  if (fs::exists(dir_, ec)) {
    if (!fs::is_directory(dir_, ec)) {
      throw InputError(fmt::format("{}: exists and is not a directory", dir_.string()));
    }
    if (!fs::is_empty(dir_, ec) && !fs::exists(dir_ / kCheckpointManifest, ec) &&
        (rank_ == 0 || !only_shards(dir_))) {
      throw InputError(
          fmt::format("{}: not empty and holds no {}: aistor writes checkpoints only "
                      "into directories it made",
                      dir_.string(), kCheckpointManifest));
    }
    // The old manifest goes first: a save that fails half-way must not look complete.
    fs::remove(dir_ / kCheckpointManifest, ec);
  }
  fs::create_directories(dir_);
  require_free_space(dir_, params_.spec.size.bytes(), "the checkpoint");
  if (params_.rhythm && params_.rhythm->async) {
    // Each rank holds its state and a snapshot of it: both must fit comfortably in memory.
    std::uint64_t largest = 0;
    for (const auto& s : shards_)
      largest = std::max(largest, s.bytes());
    const auto ram = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                     static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    std::uint64_t ranks = 0;
    for (const auto& s : shards_)
      ranks += s.bytes() > 0 ? 1 : 0;
    // Under mpirun this process holds its own shards only (files rank_, rank_ + ranks_, ...).
    if (ranks_ > 1) ranks = ranks > rank_ ? (ranks - rank_ + ranks_ - 1) / ranks_ : 0;
    if (2 * largest * ranks > ram / 2) {
      throw InputError(fmt::format(
          "rhythm.async: {} ranks x 2 x {} of host memory is more than "
          "half of this machine's {}",
          ranks, human_bytes(static_cast<double>(largest)), human_bytes(static_cast<double>(ram))));
    }
  }
  manifest_ = {};
  manifest_.block = params_.block;
  manifest_.content_seed = params_.seed;
  manifest_.layout = layout;
  for (const auto& s : shards_) {
    if (s.bytes() == 0) continue;
    if (env.stop != nullptr && env.stop->load()) throw InputError("interrupted");
    manifest_.files.push_back(
        {shard_name(s.rank), s.rank, s.bytes(),
         expected_block_crcs(s.rank, s.bytes(), params_.block, params_.seed)});
  }
  share_files();
  return {};
}

// This rank's shard files, worker by worker: all of them, or under mpirun every ranks_-th.
void CheckpointWorkload::share_files() {
  mine_.clear();
  for (std::size_t i = rank_; i < manifest_.files.size(); i += ranks_)
    mine_.push_back(i);
  if (mine_.empty()) {
    throw InputError(fmt::format(
        "{}: {} ranks, but the checkpoint has {} shard files: rank {} would have none (its "
        "layout's tp x pp x dp gives the files; run at most that many ranks)",
        dir_.string(), ranks_, manifest_.files.size(), rank_));
  }
  times_.assign(mine_.size(), RankTimes{});
  states_.clear();
  states_.resize(mine_.size());
}

void CheckpointWorkload::clients_done(const ClientRun& run) {
  // Under mpirun rank 0 writes the manifest once every rank's shards are durable.
  if (ranks_ == 1 || rank_ != 0 || !params_.save) return;
  bool ok = run.clients.size() == ranks_;
  for (const auto& c : run.clients)
    ok = ok && c.error.empty();
  for (const auto& e : run.ends)
    ok = ok && e.end == PumpEnd::done;
  if (ok) write_checkpoint_manifest(dir_, manifest_);
}

void CheckpointWorkload::run(WorkerContext& ctx) {
  if (params_.save) {
    save(ctx);
  } else {
    restore(ctx);
  }
}

bool CheckpointWorkload::write_shard(WorkerContext& ctx, Pump& pump, RankTimes& t) {
  const ShardFile& shard = shard_of(ctx.index);
  const auto final_path = dir_ / shard.name;
  auto tmp_path = final_path;
  tmp_path += ".tmp";
  // Until the rename, any failure (ENOSPC, EIO, Ctrl-C, a refused engine) removes the temporary.
  DurableTemporary tmp(final_path, tmp_path);
  const std::uint64_t t0 = now_ns();
  {
    const UniqueFd created(
        ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!created) throw_errno("open", tmp_path.string());
  }
  // A mapping cannot grow: the mmap engine writes into a file already sized.
  if (ctx.engine.describe().value("name", "") == "mmap" &&
      ::truncate(tmp_path.c_str(), static_cast<off_t>(shard.bytes)) != 0) {
    throw_errno("truncate", tmp_path.string());
  }
  EngineFile file(ctx.engine, tmp_path, Access::write);
  const FileId id = file.id();
  ctx.recorder.name_file(id, tmp_path.string());
  const std::uint32_t alignment = request_alignment(ctx.engine, tmp_path);
  if (params_.block % alignment != 0) {
    throw InputError(fmt::format("block_size {} is not a multiple of the O_DIRECT alignment {}",
                                 params_.block, alignment));
  }
  ShardSource source(Op::write, id, shard.rank, shard.bytes, params_.block, alignment,
                     state(ctx.index));
  PumpLimits limits;
  limits.stop_on_error = ctx.stop_on_error;
  ctx.outcome = pump.run(source, limits);
  t.write_ns = now_ns() - t0;
  if (ctx.outcome.end != PumpEnd::done) return false;  // the report has the errors
  if (source.padded() && ::truncate(tmp_path.c_str(), static_cast<off_t>(shard.bytes)) != 0)
    throw_errno("truncate", tmp_path.string());
  const std::uint64_t sync_start = now_ns();
  ctx.engine.sync(id);
  t.sync_ns = now_ns() - t0;
  ctx.recorder.note_sync(id, sync_start, t0 + t.sync_ns);
  file.close();
  tmp.commit();
  t.durable_ns = now_ns() - t0;
  ctx.recorder.extend_to(now_ns());
  return true;
}

void CheckpointWorkload::save(WorkerContext& ctx) {
  // From GPU memory the requests point into the shard's state; else the pump's buffers carry it.
  Pump pump(ctx.engine, ctx.queue_depth, state(ctx.index) != nullptr ? 0 : params_.block,
            ctx.recorder, ctx.stop, ctx.progress, params_.seed);
  RankTimes& t = times_[ctx.index];
  bool ok = true;
  if (!params_.rhythm) {
    ok = write_shard(ctx, pump, t);
  } else {
    ok = save_rhythm(ctx, pump, t);
  }
  t.ok = ok;
  if (ok) ++succeeded_;
  // The last rank to finish writes the manifest, only when every rank is durable (under mpirun,
  // rank 0 does once every MPI rank's are: clients_done).
  if (++finished_ == mine_.size() && succeeded_ == mine_.size() && ranks_ == 1) {
    write_checkpoint_manifest(dir_, manifest_);
  }
}

void CheckpointWorkload::restore(WorkerContext& ctx) {
  const ShardFile& shard = shard_of(ctx.index);
  const auto path = dir_ / shard.name;
  const FileId id = ctx.engine.open(path, Access::read);
  ctx.recorder.name_file(id, path.string());
  const std::uint32_t alignment = request_alignment(ctx.engine, path);
  ShardSource source(Op::read, id, shard.rank, shard.bytes, params_.block, alignment,
                     state(ctx.index));
  Pump pump(ctx.engine, ctx.queue_depth,
            state(ctx.index) != nullptr ? 0 : align_up(params_.block, alignment), ctx.recorder,
            ctx.stop, ctx.progress);
  PumpLimits limits;
  limits.stop_on_error = ctx.stop_on_error;
  ctx.outcome = pump.run(source, limits);
  RankTimes& t = times_[ctx.index];
  t.write_ns = t.durable_ns = now_ns() - ctx.start_ns;
  ctx.engine.close(id);
  if (ctx.outcome.end != PumpEnd::done) return;
  t.ok = true;
  if (!params_.verify) return;
  if (state(ctx.index) != nullptr) {
    verify_landed(ctx.engine, state(ctx.index), path, shard, manifest_.block);
  } else {
    verify_shard(dir_, shard, manifest_.block, manifest_.content_seed);
  }
}

const ShardFile& CheckpointWorkload::shard_of(std::size_t worker) const {
  const std::size_t shift = params_.save ? 0 : params_.restore_shift;
  return manifest_.files.at((mine_.at(worker) + shift) % manifest_.files.size());
}

std::byte* CheckpointWorkload::state(unsigned worker) const {
  return worker < states_.size() ? states_[worker].data() : nullptr;
}

// Untimed. On an engine whose memory is the GPU's, the shard lives there: a save writes from it
// (device → pinned → storage), so it is filled here with exactly what the host path writes; a
// restore lands in it.
void CheckpointWorkload::before_start(WorkerContext& ctx) {
  if (!ctx.engine.device_memory()) return;
  if (params_.rhythm && params_.rhythm->async) {
    throw InputError(fmt::format(
        "rhythm.async: engine \"{}\" keeps the state in GPU memory, and an asynchronous save "
        "snapshots it to host memory, which this workload does not model: use a host engine, or "
        "a blocking rhythm",
        ctx.engine.describe().value("name", "")));
  }
  const ShardFile& shard = shard_of(ctx.index);
  // Room for an O_DIRECT request's padded tail (alignment divides 64 KiB).
  Buffer state = ctx.engine.allocate(align_up(shard.bytes, std::uint64_t{65536}));
  if (params_.save) {
    fill_state(ctx.engine, state.data(), shard, params_.block, params_.seed, ctx.stop);
  }
  states_.at(ctx.index) = std::move(state);  // each worker its own element
}

WorkloadInfo checkpoint_workload_info() {
  WorkloadInfo info{
      "checkpoint",
      "checkpoint save (sharded, durable: write, fsync, rename, fsync dir) and restore "
      "(verified against per-block checksums)",
      [](ConfigNode& phase) -> std::unique_ptr<Workload> {
        return std::make_unique<CheckpointWorkload>(CheckpointWorkload::parse(phase));
      }};
  info.over_ranks = true;
  info.device_memory = true;  // the shard's state in GPU memory (before_start)
  return info;
}

}  // namespace aistor
