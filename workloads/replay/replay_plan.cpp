#include "workloads/replay/replay_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "core/histogram.hpp"
#include "core/unique_fd.hpp"
#include "workloads/common/file_claims.hpp"
#include "workloads/common/layout.hpp"

namespace aistor {
namespace {

// A trace's file name as a path under the phase's directory: a plain relative path as it is, any
// other (absolute, with "..", a device) flattened into one name.
std::filesystem::path local_name(const std::string& name) {
  const std::filesystem::path p(name);
  bool plain = !name.empty() && p.is_relative();
  for (const auto& part : p) {
    if (part == ".." || part == "." || part.empty()) plain = false;
  }
  if (plain) return p;
  std::string flat;
  for (char c : name)
    flat += c == '/' ? '_' : c;
  flat.erase(0, flat.find_first_not_of('_'));
  if (flat.empty() || flat == "." || flat == "..") flat = "trace-file";
  return flat;
}

void create_empty(const std::filesystem::path& path) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw_errno("open", path.string());
}

nlohmann::json facts_of(const formats::Trace& t) {
  std::uint64_t bytes = 0;
  std::uint64_t syncs = 0;
  for (const auto& o : t.ops) {
    bytes += o.length;
    syncs += o.op == kTraceSync ? 1 : 0;
  }
  const std::uint64_t span = t.ops.empty() ? 0 : t.ops.back().start_ns - t.ops.front().start_ns;
  nlohmann::json j{{"format", t.format},
                   {"streams", t.streams},
                   {"ops", t.ops.size() - syncs},
                   {"syncs", syncs},
                   {"bytes", bytes},
                   {"files", t.files.size()},
                   {"skipped_lines", t.skipped},
                   {"dropped_ops", t.dropped},
                   {"span_s", static_cast<double>(span) / 1e9}};
  if (span > 0)
    j["ops_per_s"] = static_cast<double>(t.ops.size() - syncs) / (static_cast<double>(span) / 1e9);
  if (t.timed_results) {
    LatencyHistogram lat;
    std::uint64_t failed = 0;
    for (const auto& o : t.ops) {
      if (o.op == kTraceSync) continue;
      if (o.result == static_cast<std::int64_t>(o.length)) {
        lat.record(o.latency_ns);
      } else {
        ++failed;
      }
    }
    j["recorded_latency"] = {{"p50_us", static_cast<double>(lat.quantile(0.5)) / 1e3},
                             {"p99_us", static_cast<double>(lat.quantile(0.99)) / 1e3},
                             {"mean_us", lat.mean() / 1e3}};
    j["recorded_failed_ops"] = failed;
    for (const char* key : {"phase", "workload", "engine", "queue_depth"}) {
      if (t.meta.contains(key)) j[key] = t.meta[key];
    }
  }
  return j;
}

}  // namespace

ReplayPlan plan_replay(const formats::Trace& trace, const ReplayShape& shape,
                       const std::filesystem::path& dir, unsigned max_threads) {
  ReplayPlan plan;
  plan.trace_facts = facts_of(trace);
  const std::uint32_t streams = std::max<std::uint32_t>(trace.streams, 1);
  if (shape.threads == 0 && streams > max_threads) {
    throw InputError(
        fmt::format("the trace has {} streams, more than {} threads; give threads to "
                    "fold them onto fewer",
                    streams, max_threads));
  }
  const unsigned threads = shape.threads == 0 ? streams : std::min(shape.threads, streams);
  plan.threads.resize(threads);
  plan.max_length.assign(threads, 0);
  std::set<std::filesystem::path> taken;
  for (const auto& name : trace.files) {
    std::filesystem::path local = local_name(name);
    for (unsigned k = 2; taken.contains(local); ++k)
      local = fmt::format("{}-{}", local_name(name).string(), k);
    taken.insert(local);
    plan.files.push_back({name, dir / local, 0, false, false});
  }
  // A sync is kept where the replay also moves data of its file (fsync of a file it never opened
  // would replay nothing); with read_only there is nothing to make durable.
  std::vector<bool> has_data(trace.files.size(), false);
  for (const auto& o : trace.ops) {
    if (o.op == kTraceRead || (o.op == kTraceWrite && !shape.read_only)) has_data[o.file] = true;
  }
  for (const auto& o : trace.ops) {
    if (o.op == kTraceWrite && shape.read_only) {
      ++plan.writes_dropped;
      continue;
    }
    if (o.op == kTraceSync && (shape.read_only || !has_data[o.file])) {
      ++plan.syncs_dropped;
      continue;
    }
    ReplayFile& f = plan.files[o.file];
    // A read the recording accepted short (an O_DIRECT read of a file's last, partial block)
    // reaches only as far as the file did.
    const bool to_eof = trace.timed_results && o.op == kTraceRead && o.result >= 0 &&
                        o.result < static_cast<std::int64_t>(o.length);
    f.extent = std::max(f.extent, o.offset + (to_eof ? static_cast<std::uint64_t>(o.result)
                                                     : std::uint64_t{o.length}));
    f.written = f.written || o.op == kTraceWrite;
    f.read = f.read || o.op == kTraceRead;
    const unsigned t = o.stream % threads;
    const double due = std::round(static_cast<double>(o.start_ns) * shape.time_scale);
    plan.threads[t].push_back({due >= 1.8e19 ? UINT64_MAX / 2 : static_cast<std::uint64_t>(due),
                               o.offset, o.length, o.file, o.op, to_eof});
    plan.max_length[t] = std::max(plan.max_length[t], o.length);
  }
  if (std::none_of(has_data.begin(), has_data.end(), [](bool b) { return b; }))
    throw InputError("read_only leaves nothing to replay: every op of the trace is a write");
  return plan;
}

std::vector<std::filesystem::path> prepare_replay_files(ReplayPlan& plan,
                                                        const std::filesystem::path& dir,
                                                        const std::atomic<bool>* stop) {
  FileClaims claims(dir);
  std::vector<LayoutFile> layout;
  std::vector<std::filesystem::path> paths;
  std::uint64_t seed = 0x7e91a7;
  for (auto& f : plan.files) {
    if (f.extent == 0) continue;  // only dropped writes touched it
    const std::string rel = f.path.lexically_relative(dir).string();
    const bool ours = claims.owns(rel);
    struct stat st {};
    if (::lstat(f.path.c_str(), &st) != 0) {
      std::filesystem::create_directories(f.path.parent_path());
      claims.claim(rel);  // listed before it exists: an interrupted layout's file is still ours
      if (f.read) {
        layout.push_back({f.path, f.extent, ++seed, true});
      } else {
        create_empty(f.path);  // only written: a new file, as the recording's was
      }
      f.created = true;
    } else if (!S_ISREG(st.st_mode)) {
      throw InputError(fmt::format("{}: the trace's {} lands here, which is not a regular file",
                                   f.path.string(), f.name));
    } else if (f.written && !ours) {
      throw InputError(fmt::format(
          "{}: the trace writes to it and aistor did not create it (it is not in {}); give "
          "read_only: true to replay the reads only, or replay into another directory",
          f.path.string(), kFileClaims));
    } else if (static_cast<std::uint64_t>(st.st_size) < f.extent) {
      if (!ours) {
        throw InputError(fmt::format(
            "{}: holds {} bytes and the trace reaches byte {}; aistor grows only files it made",
            f.path.string(), st.st_size, f.extent));
      }
      layout.push_back({f.path, f.extent, ++seed, true});
      f.created = true;
    }
    paths.push_back(f.path);
  }
  if (!layout.empty()) plan.bytes_laid_out = lay_out(layout, stop);
  return paths;
}

}  // namespace aistor
