// KvWorker's byte movement: lookups and reads into the top tier, writes into the tiers, the
// demotions that make room, and storage I/O through the pump.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "core/align.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "workloads/kv_cache/kv_worker.hpp"

namespace aistor {

bool KvWorker::load(const std::vector<Want>& wants, StepTimes& st, std::vector<Want>* missed,
                    bool prefix) {
  std::vector<KvSegment> segs;
  std::vector<std::uint64_t> keys;
  // Host-tier hits: the request's blocks copied up together, as a server moves them (one queue of
  // copies, one wait), their entries held until the copies landed.
  std::vector<std::span<const std::byte>> host_pieces;
  std::vector<std::uint64_t> host_keys;
  for (const Want& w : wants) {
    const auto hit = cache_.acquire(w.key);
    if (prefix) {
      ++t_.lookups;
      if (!hit) ++t_.misses;
    }
    if (!hit) {
      if (missed != nullptr) missed->push_back(w);
      continue;
    }
    auto& tier = t_.tiers[static_cast<std::size_t>(hit->tier)];
    tier.read_bytes += hit->bytes;
    if (prefix) {
      ++tier.hits;
      t_.cached_tokens += hit->bytes / bpt_;
    } else {
      ++t_.decode_reads;
    }
    if (hit->tier == KvTier::host) {
      add_pieces(cache_.memory(hit->serial), hit->bytes, host_pieces);
      host_keys.push_back(w.key);
      continue;
    }
    if (hit->tier != KvTier::storage) {
      cache_.done(w.key);
      continue;
    }
    segs.push_back({0, 0, hit->bytes, hit->serial, nullptr, nullptr});
    keys.push_back(w.key);
  }
  if (!host_pieces.empty()) {
    const std::uint64_t t0 = now_ns();
    ctx_.engine.upload_all(landing_.data(), host_pieces);
    st.read[1] += now_ns() - t0;
  }
  for (const std::uint64_t key : host_keys)
    cache_.done(key);
  if (segs.empty()) return true;
  std::uint64_t ns = 0;
  const bool ok = storage_read(segs, ns);
  st.read[2] += ns;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    cache_.done(keys[i]);
    if (ok) ++t_.read_sizes[segs[i].bytes];
  }
  return ok;
}

bool KvWorker::store(const std::vector<Want>& wants, StepTimes& st) {
  std::vector<KvSegment> segs;
  std::vector<std::uint64_t> keys;
  for (const Want& w : wants) {
    const KvTiers::Placement placed = cache_.insert(w.key, w.bytes);
    if (placed.present) continue;  // cached, or being written by another worker
    if (!carry_out(placed.moves, st)) {
      if (placed.tier) cache_.erase(w.key, placed.serial, *placed.tier);
      return false;
    }
    if (!placed.tier) {
      ++t_.unplaced;
      continue;
    }
    auto& tier = t_.tiers[static_cast<std::size_t>(*placed.tier)];
    ++tier.placed;
    tier.write_bytes += w.bytes;
    if (*placed.tier == KvTier::storage) {
      segs.push_back({0, 0, w.bytes, placed.serial, nullptr, nullptr});
      keys.push_back(w.key);
      continue;
    }
    // A GPU-tier entry is where prefill made it: no copy (its budget is accounted, not allocated).
    if (*placed.tier == KvTier::host) {
      std::byte* host = cache_.keep(placed.serial, w.bytes, ctx_.engine);  // not timed
      const std::uint64_t t0 = now_ns();
      host_copy_in(host, placed.serial, w.bytes);
      st.write[1] += now_ns() - t0;
    }
    cache_.done(w.key);
  }
  if (segs.empty()) return true;
  std::uint64_t ns = 0;
  const bool ok = storage_write(segs, ns);
  st.write[2] += ns;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (ok) {
      ++t_.written_sizes[segs[i].bytes];
      cache_.done(keys[i]);
    } else {
      cache_.erase(keys[i], segs[i].serial, KvTier::storage);
    }
  }
  return ok;
}

bool KvWorker::carry_out(const std::vector<KvMove>& moves, StepTimes& st) {
  for (const KvMove& m : moves) {
    auto& from = t_.tiers[static_cast<std::size_t>(m.from)];
    ++from.moved_out;
    if (!m.to) {
      ++from.dropped;
      if (m.from == KvTier::storage) {
        cache_.release(m.serial);
      } else {
        cache_.forget(m.serial);
      }
      continue;
    }
    auto& to = t_.tiers[static_cast<std::size_t>(*m.to)];
    ++to.moved_in;
    to.write_bytes += m.bytes;
    if (*m.to == KvTier::host) {  // from the GPU tier: a copy out of GPU memory
      std::byte* host = cache_.keep(m.serial, m.bytes, ctx_.engine);  // not timed
      const std::uint64_t t0 = now_ns();
      host_copy_in(host, m.serial, m.bytes);
      st.write[1] += now_ns() - t0;
    } else {
      // From host memory its bytes; from the GPU tier the pump's buffers (GPU memory) stand for
      // them: the same copies out of GPU memory and writes.
      const std::byte* memory = m.from == KvTier::host ? cache_.memory(m.serial) : nullptr;
      std::vector<KvSegment> seg{{0, 0, m.bytes, m.serial, memory, nullptr}};
      std::uint64_t ns = 0;
      if (!storage_write(seg, ns)) {
        cache_.erase(m.key, m.serial, KvTier::storage);
        return false;
      }
      st.write[2] += ns;
      ++t_.written_sizes[m.bytes];
      cache_.forget(m.serial);
    }
    cache_.done(m.key);
  }
  return true;
}

// A new host-tier entry: on a GPU engine a copy out of GPU memory (where prefill made it); on a
// host engine the stamped bytes a storage write would carry, so a later demotion writes them.
void KvWorker::host_copy_in(std::byte* host, std::uint64_t serial, std::uint64_t bytes) {
  if (ctx_.engine.device_memory()) {
    for (std::uint64_t pos = 0; pos < bytes; pos += landing_.size()) {
      const auto len =
          static_cast<std::size_t>(std::min<std::uint64_t>(landing_.size(), bytes - pos));
      ctx_.engine.download({host + pos, len}, landing_.data());
    }
    return;
  }
  for (std::uint64_t pos = 0; pos < bytes; pos += p_.request_size) {
    const auto len =
        static_cast<std::size_t>(std::min<std::uint64_t>(p_.request_size, bytes - pos));
    std::memcpy(host + pos, reference_.data(), len);
    kv_stamp(host + pos, len, serial, pos);
  }
}

// A host-tier hit's bytes as copies into the top tier (GPU memory on a GPU engine), each as large
// as the landing buffer at most.
void KvWorker::add_pieces(const std::byte* host, std::uint64_t bytes,
                          std::vector<std::span<const std::byte>>& pieces) const {
  for (std::uint64_t pos = 0; pos < bytes; pos += landing_.size()) {
    const auto len =
        static_cast<std::size_t>(std::min<std::uint64_t>(landing_.size(), bytes - pos));
    pieces.emplace_back(host + pos, len);
  }
}

void KvWorker::open_segments(std::vector<KvSegment>& segs, Access access,
                             std::vector<EngineFile>& files) {
  const bool mmap = ctx_.engine.describe().value("name", "") == "mmap";
  for (auto& s : segs) {
    const KvPlace place = cache_.place(s.serial);
    s.offset = place.offset;
    const std::uint64_t padded = align_up(s.bytes, alignment_);
    if (access == Access::read && p_.cold_reads) {
      // As MLPerf's benchmark: the entry's pages dropped first, on a descriptor of its own.
      const std::uint64_t t0 = now_ns();
      const UniqueFd fd(::open(place.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno("open", place.path.string());
      (void)::posix_fadvise(fd.get(), static_cast<off_t>(s.offset), static_cast<off_t>(padded),
                            POSIX_FADV_DONTNEED);
      t_.advise_ns.record(now_ns() - t0);
    }
    if (place.slab >= 0) {
      s.file = slabs_.at(static_cast<std::size_t>(place.slab));
      continue;
    }
    if (access == Access::write) {
      const UniqueFd created(
          ::open(place.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
      if (!created) throw_errno("open", place.path.string());
      // A mapping cannot grow: the mmap engine writes into a file already sized.
      if (mmap && ::ftruncate(created.get(), static_cast<off_t>(padded)) != 0)
        throw_errno("ftruncate", place.path.string());
    }
    files.emplace_back(ctx_.engine, place.path, access);
    s.file = files.back().id();
    ctx_.recorder.name_file(s.file, place.path.string());
  }
}

void KvWorker::sync_written(const std::vector<KvSegment>& segs, std::vector<EngineFile>& files) {
  if (p_.sync == KvSync::none) return;
  std::vector<FileId> ids;
  for (const auto& s : segs) {
    if (std::find(ids.begin(), ids.end(), s.file) == ids.end()) ids.push_back(s.file);
  }
  if (p_.sync == KvSync::each) {
    for (const FileId id : ids) {
      const std::uint64_t t0 = now_ns();
      ctx_.engine.sync(id);
      const std::uint64_t t1 = now_ns();
      ctx_.recorder.note_sync(id, t0, t1);
      t_.sync_ns.record(t1 - t0);
    }
    return;
  }
  // batch: the files stay open until every sync_batch entries are synced together.
  for (auto& f : files)
    unsynced_.push_back(std::move(f));
  files.clear();
  unsynced_entries_ += static_cast<unsigned>(segs.size());
  if (unsynced_entries_ < p_.sync_batch) return;
  const std::uint64_t t0 = now_ns();
  for (auto& f : unsynced_)
    ctx_.engine.sync(f.id());
  for (const FileId id : slabs_)
    ctx_.engine.sync(id);
  t_.sync_ns.record(now_ns() - t0);
  unsynced_.clear();
  unsynced_entries_ = 0;
}

bool KvWorker::pump_segments(Op op, const std::vector<KvSegment>& segs) {
  KvSegmentSource source(ctx_.engine, op, segs, p_.request_size, alignment_, reference_,
                         op == Op::read && p_.verify ? &check_ : nullptr);
  PumpLimits limits;
  limits.deadline_ns = deadline_ns_;
  limits.stop_on_error = ctx_.stop_on_error;
  const PumpOutcome out = pump_.run(source, limits);
  t_.verified = check_.verified;
  t_.mismatches = check_.mismatches;
  if (out.end == PumpEnd::done) return true;
  ctx_.outcome = out;  // the deadline, the stop flag, or an error the recorder holds
  failed_ = out.end == PumpEnd::error;
  return false;
}

bool KvWorker::storage_write(std::vector<KvSegment>& segs, std::uint64_t& ns) {
  const std::uint64_t t0 = now_ns();
  std::vector<EngineFile> files;
  open_segments(segs, Access::write, files);
  if (!pump_segments(Op::write, segs)) return false;
  sync_written(segs, files);
  ns = now_ns() - t0;
  t_.write_op_ns.record(ns);
  ctx_.recorder.extend_to(now_ns());
  return true;
}

bool KvWorker::storage_read(std::vector<KvSegment>& segs, std::uint64_t& ns) {
  const std::uint64_t t0 = now_ns();
  std::vector<EngineFile> files;
  open_segments(segs, Access::read, files);
  if (!pump_segments(Op::read, segs)) return false;
  ns = now_ns() - t0;
  t_.read_op_ns.record(ns);
  return true;
}

}  // namespace aistor
