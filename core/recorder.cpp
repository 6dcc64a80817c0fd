#include "core/recorder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/trace_log.hpp"
#include "core/units.hpp"

namespace aistor {

void DirectionStats::add_size(std::uint32_t size, std::uint64_t n) {
  auto it = sizes.begin();
  while (it != sizes.end() && it->first < size)
    ++it;
  if (it != sizes.end() && it->first == size) {
    it->second += n;
  } else {
    sizes.insert(it, {size, n});
  }
}

Recorder::Recorder(std::uint64_t origin_ns, std::uint64_t interval_ns)
    : origin_ns_(origin_ns), interval_ns_(interval_ns == 0 ? 1 : interval_ns) {}

void Recorder::name_file(std::uint32_t file, std::string name) {
  if (file_names_.size() <= file) file_names_.resize(file + 1);
  if (trace_ != nullptr) trace_->name_file(file, name);
  file_names_[file] = std::move(name);
  // A file id named again is a file opened again (ids are reused after close): its first op at
  // offset 0 is sequential, whatever the previous file's last op was.
  for (std::size_t slot = 2 * std::size_t{file};
       slot < next_offset_.size() && slot < 2 * std::size_t{file} + 2; ++slot)
    next_offset_[slot] = 0;
}

std::string describe(const ErrorDetail& e) {
  const char* op = e.dir == Direction::read ? "read" : "write";
  const std::string& file = e.file.empty() ? std::string("(unnamed file)") : e.file;
  if (e.result >= 0) {
    return fmt::format("short {} of {} at offset {}: {} of {} bytes", op, file, e.offset, e.result,
                       e.length);
  }
  const char* name = strerrorname_np(e.err);
  return fmt::format("{} ({}): {} of {} at offset {} ({} bytes)", name ? name : "E?",
                     std::strerror(e.err), op, file, e.offset, e.length);
}

void Recorder::note_sync(std::uint32_t file, std::uint64_t start_ns, std::uint64_t done_ns,
                         int err) {
  if (trace_ != nullptr) trace_->add(kTraceSync, file, 0, 0, -std::int64_t{err}, start_ns, done_ns);
}

void Recorder::record(Direction dir, std::uint32_t file, std::uint64_t offset, std::uint32_t length,
                      std::int64_t result, std::uint64_t submit_ns, std::uint64_t done_ns,
                      std::uint32_t asked, std::uint64_t issued) {
  if (trace_ != nullptr) {
    trace_->add(dir == Direction::read ? kTraceRead : kTraceWrite, file, offset,
                asked != 0 ? asked : length, result, submit_ns, done_ns, issued);
  }
  if (result < 0 || static_cast<std::uint64_t>(result) != length) {
    int err = result < 0 ? static_cast<int>(-result) : ENODATA;
    ++errors_[err];
    if (details_.size() < kMaxErrorDetails) {
      details_.push_back({err, dir, file < file_names_.size() ? file_names_[file] : std::string(),
                          offset, length, result});
    }
    return;
  }
  auto& d = dirs_[static_cast<int>(dir)];
  ++d.ops;
  d.bytes += length;
  d.latency.record(done_ns >= submit_ns ? done_ns - submit_ns : 0);
  d.add_size(length, 1);

  first_submit_ns_ = std::min(first_submit_ns_, submit_ns);
  last_done_ns_ = std::max(last_done_ns_, done_ns);
  std::size_t slot = done_ns > origin_ns_ ? (done_ns - origin_ns_) / interval_ns_ : 0;
  if (series_bytes_.size() <= slot) {
    series_bytes_.resize(slot + 1, 0);
    series_ops_.resize(slot + 1, 0);
  }
  series_bytes_[slot] += length;
  ++series_ops_[slot];
}

void Recorder::merge(const Recorder& other) {
  for (int i = 0; i < 2; ++i) {
    auto& d = dirs_[i];
    const auto& o = other.dirs_[i];
    d.ops += o.ops;
    d.bytes += o.bytes;
    d.issued_ops += o.issued_ops;
    d.sequential_ops += o.sequential_ops;
    d.latency.merge(o.latency);
    for (const auto& [size, n] : o.sizes)
      d.add_size(size, n);
  }
  first_submit_ns_ = std::min(first_submit_ns_, other.first_submit_ns_);
  last_done_ns_ = std::max(last_done_ns_, other.last_done_ns_);
  // Both series share the phase origin, so slots line up.
  if (series_bytes_.size() < other.series_bytes_.size()) {
    series_bytes_.resize(other.series_bytes_.size(), 0);
    series_ops_.resize(other.series_ops_.size(), 0);
  }
  for (std::size_t i = 0; i < other.series_bytes_.size(); ++i) {
    series_bytes_[i] += other.series_bytes_[i];
    series_ops_[i] += other.series_ops_[i];
  }
  for (const auto& [err, n] : other.errors_)
    errors_[err] += n;
  for (const auto& detail : other.details_) {
    if (details_.size() >= kMaxErrorDetails) break;
    details_.push_back(detail);
  }
}

void Recorder::shift(std::int64_t ns) {
  auto moved = [ns](std::uint64_t t) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + ns);
  };
  origin_ns_ = moved(origin_ns_);
  if (first_submit_ns_ != UINT64_MAX) first_submit_ns_ = moved(first_submit_ns_);
  if (last_done_ns_ != 0) last_done_ns_ = moved(last_done_ns_);
}

LatencyHistogram Recorder::combined_latency() const {
  LatencyHistogram all = dirs_[0].latency;
  all.merge(dirs_[1].latency);
  return all;
}

std::uint64_t Recorder::error_count() const {
  std::uint64_t n = 0;
  for (const auto& [err, count] : errors_)
    n += count;
  return n;
}

double Recorder::achieved_queue_depth() const {
  if (ops() == 0 || last_done_ns_ <= first_submit_ns_) return 0.0;
  double seconds = static_cast<double>(last_done_ns_ - first_submit_ns_) / 1e9;
  double iops = static_cast<double>(ops()) / seconds;
  return iops * combined_latency().mean() / 1e9;
}

std::string pattern_of(const DirectionStats& stats) {
  if (stats.ops == 0) return {};
  // The size that carries most ops names the pattern when it dominates (>= 90 %); else a range.
  auto top = std::max_element(stats.sizes.begin(), stats.sizes.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  std::string size;
  if (static_cast<double>(top->second) >= 0.9 * static_cast<double>(stats.ops)) {
    size = short_size(top->first);
  } else {
    size = short_size(stats.sizes.begin()->first) + "-" + short_size(stats.sizes.rbegin()->first);
  }
  double seq = stats.sequential_fraction();
  const char* order = seq >= 0.9 ? "seq" : (seq <= 0.1 ? "rand" : "mixed");
  return size + " " + order;
}

std::string Recorder::io_pattern() const {
  std::string out;
  if (dirs_[0].ops) out = "r=" + pattern_of(dirs_[0]);
  if (dirs_[1].ops) {
    if (!out.empty()) out += ", ";
    out += "w=" + pattern_of(dirs_[1]);
  }
  return out.empty() ? "none" : out;
}

}  // namespace aistor
