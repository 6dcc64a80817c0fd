#include "workloads/raw/raw_workload.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <numeric>

#include "core/block_device.hpp"
#include "core/checked_math.hpp"
#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/permutation.hpp"
#include "core/splitmix.hpp"
#include "core/units.hpp"
#include "workloads/common/file_claims.hpp"
#include "workloads/common/layout.hpp"

namespace aistor {
namespace {

constexpr std::uint32_t kMaxBlock = 1u << 30;

bool is_random(RawMode m) {
  return m == RawMode::randread || m == RawMode::randwrite || m == RawMode::randrw;
}
bool reads_only(RawMode m) {
  return m == RawMode::read || m == RawMode::randread;
}
bool writes_only(RawMode m) {
  return m == RawMode::write || m == RawMode::randwrite;
}

struct Rng {
  std::uint64_t s;
  std::uint64_t next() noexcept { return splitmix64(s); }
  std::uint64_t below(std::uint64_t n) noexcept { return n ? next() % n : 0; }
};

// Offsets and directions of one worker over its region [start, start + length).
class RawSource final : public RequestSource {
 public:
  RawSource(const RawParams& p, FileId file, std::uint64_t start, std::uint64_t length,
            std::uint64_t seed, WrittenBlocks* written, std::uint64_t verify_seed)
      : p_(p),
        written_(written),
        verify_seed_(verify_seed),
        file_(file),
        start_(start),
        length_(length),
        rng_{seed},
        single_(p.block_sizes.size() == 1),
        perm_(single_ ? length / p.block_sizes[0].first : 1, seed) {
    for (const auto& [size, weight] : p.block_sizes)
      total_weight_ += weight;
    if (written_ != nullptr) {
      in_flight_.assign(written_->last_write.size(), 0);
      overlapped_.assign(written_->last_write.size(), false);
    }
  }

  // verify: each write carries its sequence number, in its header and in its tag.
  void stamp(IoRequest& r) override {
    if (written_ == nullptr || r.op != Op::write) return;
    r.tag = ++sequence_;
    const std::size_t i = (r.offset - start_) / written_->block;
    if (++in_flight_[i] > 1) overlapped_[i] = true;
    stamp_verified_block({r.buf, r.length}, {verify_seed_, r.offset, r.tag, written_->worker});
  }

  // The last write that completed on a block is what must be there; one that failed, or raced
  // another write to the same block, leaves it unknown.
  void completed(const IoRequest& r, std::int64_t res) override {
    if (written_ == nullptr || r.op != Op::write) return;
    const std::size_t i = (r.offset - start_) / written_->block;
    const bool ok = res == static_cast<std::int64_t>(r.length) && !overlapped_[i];
    written_->last_write[i] = ok ? r.tag : WrittenBlocks::kUnknownWrite;
    if (--in_flight_[i] == 0) overlapped_[i] = false;
  }

  bool next(IoRequest& r) override {
    r.file = file_;
    r.op = pick_op();
    r.length = pick_size();
    r.offset = is_random(p_.mode) ? random_offset(r.length) : sequential_offset(r.length);
    return true;
  }

 private:
  Op pick_op() {
    if (reads_only(p_.mode)) return Op::read;
    if (writes_only(p_.mode)) return Op::write;
    return rng_.below(100) < p_.read_percent ? Op::read : Op::write;
  }
  std::uint32_t pick_size() {
    if (single_) return p_.block_sizes[0].first;
    std::uint64_t x = rng_.below(total_weight_);
    for (const auto& [size, weight] : p_.block_sizes) {
      if (x < weight) return size;
      x -= weight;
    }
    return p_.block_sizes.back().first;
  }
  std::uint64_t sequential_offset(std::uint32_t size) {
    if (cursor_ + size > length_) cursor_ = 0;  // wrap: time-based runs loop over the region
    std::uint64_t at = start_ + cursor_;
    cursor_ += size;
    return at;
  }
  std::uint64_t random_offset(std::uint32_t size) {
    if (!single_) return start_ + rng_.below(length_ / size) * size;
    // Every block once per pass, a new order each pass (fio's random map).
    if (index_ == perm_.size()) {
      index_ = 0;
      perm_ = Permutation(perm_.size(), rng_.next());
    }
    return start_ + perm_.at(index_++) * size;
  }

  const RawParams& p_;
  WrittenBlocks* written_;
  std::uint64_t verify_seed_;
  std::uint64_t sequence_ = 0;
  std::vector<std::uint32_t> in_flight_;  // verify: writes in flight per block
  std::vector<bool> overlapped_;          // verify: two writes to the block were in flight at once
  FileId file_;
  std::uint64_t start_;
  std::uint64_t length_;
  Rng rng_;
  bool single_;
  Permutation perm_;
  std::uint64_t index_ = 0;
  std::uint64_t cursor_ = 0;
  std::uint64_t total_weight_ = 0;
};

RawMode parse_mode(const std::string& s) {
  if (s == "write") return RawMode::write;
  if (s == "randread") return RawMode::randread;
  if (s == "randwrite") return RawMode::randwrite;
  if (s == "readwrite" || s == "rw") return RawMode::readwrite;
  if (s == "randrw") return RawMode::randrw;
  return RawMode::read;
}

// "block_size", or "bssplit": a list of {"size", "weight"}.
std::vector<std::pair<std::uint32_t, unsigned>> parse_block_sizes(ConfigNode& phase) {
  std::vector<std::pair<std::uint32_t, unsigned>> sizes;
  if (const auto* split = phase.raw("bssplit")) {
    if (phase.has("block_size")) phase.fail("bssplit", "give either block_size or bssplit");
    if (!split->is_array() || split->empty()) {
      phase.fail("bssplit", "must be a non-empty list of {\"size\": ..., \"weight\": ...}");
    }
    for (std::size_t i = 0; i < split->size(); ++i) {
      ConfigNode entry((*split)[i], phase.key_path(fmt::format("bssplit[{}]", i)));
      auto size = static_cast<std::uint32_t>(entry.size("size", std::nullopt, 1, kMaxBlock));
      auto weight = static_cast<unsigned>(entry.integer("weight", std::nullopt, 1, 1000000));
      entry.finish();
      sizes.emplace_back(size, weight);
    }
  } else {
    sizes.emplace_back(
        static_cast<std::uint32_t>(phase.size("block_size", 128 * 1024, 1, kMaxBlock)), 1);
  }
  return sizes;
}

// What verify needs: a phase that writes, one block size, whole sectors and whole blocks.
void check_verify(ConfigNode& phase, const RawParams& p) {
  if (reads_only(p.mode)) phase.fail("verify", "checks what the phase writes; this one only reads");
  if (p.block_sizes.size() != 1) {
    phase.fail("verify", "needs one block_size (blocks of a bssplit overlap)");
  }
  if (p.block_sizes[0].first % kVerifySector != 0) {
    phase.fail("verify",
               fmt::format("needs a block_size that is a multiple of {} bytes", kVerifySector));
  }
  if (p.io_size % p.block_sizes[0].first != 0) {
    phase.fail("verify", "needs an io_size that is a multiple of the block size");
  }
}

}  // namespace

RawParams RawWorkload::parse(ConfigNode& phase) {
  RawParams p;
  p.mode = parse_mode(phase.choice(
      "rw", "read", {"read", "write", "randread", "randwrite", "readwrite", "rw", "randrw"}));
  p.read_percent = static_cast<unsigned>(phase.integer("rwmixread", 50, 0, 100));
  if (reads_only(p.mode)) p.read_percent = 100;
  if (writes_only(p.mode)) p.read_percent = 0;
  p.block_sizes = parse_block_sizes(phase);
  p.size = phase.size("size", std::nullopt, 1);
  p.io_size = phase.size("io_size", 0);
  p.ops = static_cast<std::uint64_t>(phase.integer("ops", 0, 0));
  p.threads = static_cast<unsigned>(phase.integer("threads", 1, 1, 4096));
  p.device = phase.string("device", "");
  p.file_per_thread = phase.boolean("file_per_thread", p.device.empty());
  p.file_name = phase.string("file_name", "");
  if (!p.device.empty()) {
    if (!p.device.starts_with('/'))
      phase.fail("device", "must be an absolute path, e.g. /dev/nvme0n1");
    if (!p.file_name.empty()) phase.fail("file_name", "give either a file_name or a device");
    if (p.file_per_thread) phase.fail("file_per_thread", "a device is one file its threads share");
  }
  if (p.file_name.find('/') != std::string::npos) {
    phase.fail("file_name", "must be a plain name inside the phase's directory");
  }
  p.runtime_ns = phase.duration_ns("runtime", 0);
  p.time_based = phase.boolean("time_based", false);
  p.ramp_ns = phase.duration_ns("ramp", 0);
  p.fsync_at_end = phase.boolean("fsync_at_end", false);
  p.seed = static_cast<std::uint64_t>(phase.integer("seed", 1, 0));

  p.verify = phase.boolean("verify", false);
  p.overwrite = phase.boolean("overwrite", false);
  p.rank_files_shared = phase.choice("rank_files", "own", {"own", "shared"}) == "shared";
  if (p.rank_files_shared && p.file_per_thread) {
    phase.fail("rank_files",
               "\"shared\" divides one file among every rank's threads: give "
               "\"file_per_thread\": false");
  }
  if (p.time_based && p.runtime_ns == 0) phase.fail("time_based", "needs a runtime");
  if (p.verify) check_verify(phase, p);
  if (p.file_per_thread && !checked_mul(p.size, p.threads)) {
    phase.fail("size", fmt::format("{} bytes for each of {} threads is more than 64 bits count",
                                   p.size, p.threads));
  }
  std::uint32_t largest = 0;
  for (const auto& [size, w] : p.block_sizes)
    largest = std::max(largest, size);
  std::uint64_t region = p.file_per_thread ? p.size : p.size / p.threads;
  if (region < largest) {
    phase.fail("size",
               fmt::format("{} per worker is smaller than the block size {}", region, largest));
  }
  if (p.block_sizes.size() == 1 && region % largest != 0) {
    phase.fail("size", fmt::format("{} per worker is not a multiple of the block size {}", region,
                                   largest));
  }
  return p;
}

RawWorkload::RawWorkload(RawParams params) : params_(std::move(params)) {}

std::uint32_t RawWorkload::max_block() const {
  std::uint32_t m = 0;
  for (const auto& [size, w] : params_.block_sizes)
    m = std::max(m, size);
  return m;
}

std::uint64_t RawWorkload::region_bytes() const {
  if (params_.file_per_thread) return params_.size;
  std::uint64_t r = params_.size / (std::uint64_t{params_.threads} * share_ranks_);
  return r / max_block() * max_block();
}

std::uint64_t RawWorkload::global_worker(unsigned w) const {
  return std::uint64_t{rank_} * params_.threads + w;
}

std::uint64_t RawWorkload::region_start(unsigned w) const {
  if (params_.file_per_thread) return 0;
  return region_bytes() * (share_ranks_ > 1 ? global_worker(w) : w);
}

Goal RawWorkload::goal() const {
  Goal g;
  g.duration_ns = params_.time_based ? params_.runtime_ns + params_.ramp_ns : 0;
  std::uint64_t per = params_.io_size ? params_.io_size : region_bytes();
  g.bytes = params_.time_based ? 0 : per * params_.threads;
  return g;
}

// Refuses a file the phase must not touch: anything but a regular file, and — unless aistor made
// it or the phase says "overwrite" — a file it would write into (a write phase, or a layout that
// would extend it).
void RawWorkload::check_may_use(const std::filesystem::path& path, bool ours) const {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_errno("lstat", path.string());
  }
  if (!S_ISREG(st.st_mode)) {
    throw InputError(
        fmt::format("{}: exists and is not a regular file ({}): the raw workload "
                    "reads and writes only files",
                    path.string(),
                    S_ISLNK(st.st_mode)   ? "a symbolic link"
                    : S_ISBLK(st.st_mode) ? "a block device"
                    : S_ISDIR(st.st_mode) ? "a directory"
                                          : "a special file"));
  }
  if (ours || params_.overwrite) return;
  if (!reads_only(params_.mode)) {
    throw InputError(fmt::format(
        "{}: exists and aistor did not create it (it is not in {}): a write phase would "
        "overwrite it; give \"overwrite\": true to allow that, or another file_name",
        path.string(), (path.parent_path() / kFileClaims).string()));
  }
  if (static_cast<std::uint64_t>(st.st_size) < params_.size) {
    throw InputError(
        fmt::format("{}: exists, aistor did not create it, and it holds {} bytes, "
                    "less than the phase's size {}: aistor lays data only into files "
                    "it made",
                    path.string(), st.st_size, params_.size));
  }
}

// A block device is read in place and written only when the run says so and nothing uses it;
// nothing is laid out on it.
std::vector<std::filesystem::path> RawWorkload::prepare_device(const PhaseEnv& env) {
  const BlockDevice d = inspect_block_device(params_.device);
  if (params_.size > d.bytes) {
    throw InputError(fmt::format("{}: the phase's size {} is larger than the device ({} bytes)",
                                 d.path.string(), params_.size, d.bytes));
  }
  if (!reads_only(params_.mode)) {
    if (!d.in_use.empty()) {
      throw InputError(
          fmt::format("{}: in use ({}): never written, even with "
                      "--allow-device-writes",
                      d.path.string(), fmt::join(d.in_use, "; ")));
    }
    if (!env.allow_device_writes) {
      throw InputError(
          fmt::format("{}: a block device: a write phase destroys what it holds; "
                      "run with --allow-device-writes to allow it",
                      d.path.string()));
    }
  }
  files_ = {d.path};
  return files_;
}

std::vector<std::filesystem::path> RawWorkload::prepare(const PhaseEnv& env) {
  written_.clear();
  tally_ = {};
  pump_buffers_.clear();
  pump_buffers_.resize(params_.threads);
  rank_ = env.rank;
  ranks_ = env.ranks;
  share_ranks_ = params_.rank_files_shared || !params_.device.empty() ? ranks_ : 1;
  if (region_bytes() < max_block()) {
    throw InputError(fmt::format(
        "size {} shared by {} ranks x {} threads leaves less than a {}-byte block per worker",
        params_.size, share_ranks_, params_.threads, max_block()));
  }
  if (!params_.device.empty()) {
    prepare_device(env);
    prepare_verify();
    return files_;
  }
  std::string base = params_.file_name.empty()
                         ? fmt::format("aistor-raw-{}", short_size(params_.size))
                         : params_.file_name;
  // Files of its own for each rank: the rank in the name (a shared file has one name for all).
  if (ranks_ > 1 && share_ranks_ == 1) base += fmt::format(".r{:05}", rank_);
  const unsigned count = params_.file_per_thread ? params_.threads : 1;
  std::vector<LayoutFile> layout;
  files_.clear();
  FileClaims claims(env.dir);
  for (unsigned i = 0; i < count; ++i) {
    const std::string name = fmt::format("{}.{}", base, i);
    auto path = env.dir / name;
    check_may_use(path, claims.owns(name));
    if (!claims.owns(name) && !std::filesystem::exists(std::filesystem::symlink_status(path))) {
      claims.claim(name);  // listed before it exists: an interrupted layout's file is still ours
    }
    const std::uint64_t seed = params_.seed * 1000003 + (share_ranks_ > 1 ? i : global_worker(i));
    layout.push_back({path, params_.size, seed, !writes_only(params_.mode)});
    files_.push_back(path);
  }
  lay_out(layout, env.stop);
  prepare_verify();
  return files_;
}

void RawWorkload::prepare_verify() {
  if (params_.verify) {
    verify_seed_ = mix64(params_.seed ^ now_ns() ^ static_cast<std::uint64_t>(::getpid()));
    for (unsigned w = 0; w < params_.threads; ++w) {
      written_.push_back({files_[params_.file_per_thread ? w : 0], region_start(w), max_block(), w,
                          std::vector<std::uint64_t>(region_bytes() / max_block(), 0)});
    }
  }
}

void RawWorkload::before_start(WorkerContext& ctx) {
  pump_buffers_.at(ctx.index).emplace(ctx.engine, ctx.queue_depth, max_block());
}

void RawWorkload::run(WorkerContext& ctx) {
  const auto& path = files_[params_.file_per_thread ? ctx.index : 0];
  Access access = reads_only(params_.mode)    ? Access::read
                  : writes_only(params_.mode) ? Access::write
                                              : Access::read_write;
  FileId file = ctx.engine.open(path, access);
  ctx.recorder.name_file(file, path.string());
  const std::uint64_t region = region_bytes();
  const std::uint64_t start = region_start(ctx.index);
  if (params_.verify && ctx.engine.device_memory()) {
    throw InputError("verify stamps each block in host memory: this engine writes from GPU memory");
  }
  RawSource source(params_, file, start, region, params_.seed * 7919 + global_worker(ctx.index),
                   params_.verify ? &written_[ctx.index] : nullptr, verify_seed_);

  PumpLimits limits;
  limits.stop_on_error = ctx.stop_on_error;
  limits.ramp_end_ns = ctx.start_ns + params_.ramp_ns;
  if (!params_.time_based) limits.bytes = params_.io_size ? params_.io_size : region;
  if (params_.ops) limits.ops = params_.ops;
  if (params_.runtime_ns) limits.deadline_ns = limits.ramp_end_ns + params_.runtime_ns;

  std::optional<PumpBuffers>& buffers = pump_buffers_.at(ctx.index);
  if (!buffers) buffers.emplace(ctx.engine, ctx.queue_depth, max_block());
  {
    Pump pump(ctx.engine, *buffers, ctx.recorder, ctx.stop, ctx.progress);
    ctx.outcome = pump.run(source, limits);
  }
  buffers.reset();
  if (params_.fsync_at_end && !reads_only(params_.mode)) {
    const std::uint64_t t0 = now_ns();
    ctx.engine.sync(file);
    const std::uint64_t t1 = now_ns();
    ctx.recorder.note_sync(file, t0, t1);
    ctx.recorder.extend_to(t1);
  }
  ctx.engine.close(file);
}

void RawWorkload::check(const PhaseEnv& /*env*/) {
  if (!params_.verify) return;
  for (const auto& w : written_)
    verify_written_blocks(w, verify_seed_, tally_);
  const auto& b = tally_.bad;
  if (tally_.bad_blocks() > 0) {
    throw InputError(fmt::format(
        "{} ({} bad of {} blocks read back: lost {}, stale {}, misdirected {}, torn {}, corrupt "
        "{})",
        tally_.first.front(), tally_.bad_blocks(), tally_.checked, b[1], b[2], b[3], b[4], b[5]));
  }
}

nlohmann::json RawWorkload::summarize() const {
  if (!params_.verify) return nullptr;
  return {{"verify", tally_.to_json()}};
}

// Every rank's verification as one: the counts add up, the first bad blocks are listed in rank
// order.
nlohmann::json RawWorkload::summarize_ranks(const std::vector<nlohmann::json>& per_rank) const {
  if (!params_.verify) return nullptr;
  nlohmann::json v = nlohmann::json::object();
  for (const char* key : {"blocks_checked", "blocks_skipped", "bad_blocks"})
    v[key] = std::uint64_t{0};
  v["bad"] = nlohmann::json::object();
  v["first"] = nlohmann::json::array();
  for (const auto& m : per_rank) {
    if (!m.is_object() || !m.contains("verify")) continue;
    const auto& r = m["verify"];
    for (const char* key : {"blocks_checked", "blocks_skipped", "bad_blocks"})
      v[key] = v[key].get<std::uint64_t>() + r.value(key, std::uint64_t{0});
    const nlohmann::json bad = r.value("bad", nlohmann::json::object());
    for (const auto& [kind, n] : bad.items())
      v["bad"][kind] = v["bad"].value(kind, std::uint64_t{0}) + n.get<std::uint64_t>();
    const nlohmann::json first = r.value("first", nlohmann::json::array());
    for (const auto& f : first)
      v["first"].push_back(f);
  }
  return {{"verify", v}};
}

WorkloadInfo raw_workload_info() {
  WorkloadInfo info{"raw",
                    "fio-like reads and writes: sequential, random or mixed, by size or time",
                    [](ConfigNode& phase) -> std::unique_ptr<Workload> {
                      return std::make_unique<RawWorkload>(RawWorkload::parse(phase));
                    },
                    true};
  info.over_ranks = true;
  return info;
}

}  // namespace aistor
