#include "workloads/formats/trace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_map>

#include "core/checksum64.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"

namespace aistor::formats {
namespace {

static_assert(std::endian::native == std::endian::little, "trace records are little-endian");
constexpr char kMagic[8] = {'A', 'I', 'S', 'T', 'O', 'R', 'T', 'R'};

template <typename T>
void put(std::string& s, std::size_t at, T v) {
  std::memcpy(s.data() + at, &v, sizeof v);
}
template <typename T>
T get(std::string_view s, std::size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof v);
  return v;
}

// A path as the trace names it: relative to the phase's directory where it lies under it.
std::string trace_name(const std::string& name, const std::filesystem::path& dir) {
  if (dir.empty()) return name;
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(name, ec).lexically_normal();
  if (ec) return name;
  const auto rel = p.lexically_relative(dir);
  if (rel.empty() || *rel.begin() == "..") return name;
  return rel.string();
}

void check_op(const TraceOp& op, const Trace& t, std::size_t i, std::string_view origin) {
  const std::size_t at = kTraceHeaderBytes + i * sizeof(TraceOp);
  auto fail = [&](std::string_view what) {
    throw InputError(fmt::format("{}: op {} at byte {}: {}", origin, i, at, what));
  };
  if (op.op > kTraceSync) fail(fmt::format("op kind {} (0 read, 1 write, 2 sync)", op.op));
  if (op.op == kTraceSync && (op.length != 0 || op.offset != 0))
    fail("a sync with an offset or a length");
  if (op.file >= t.files.size())
    fail(fmt::format("file index {} of {} files", op.file, t.files.size()));
  if (op.stream >= t.streams) fail(fmt::format("stream {} of {} streams", op.stream, t.streams));
  if (op.offset > UINT64_MAX - op.length) fail("offset + length past 2^64");
  if (i > 0 && op.start_ns < t.ops[i - 1].start_ns) fail("start time before the previous op's");
}

}  // namespace

Trace merge_logs(std::span<const TraceLog* const> logs, const std::filesystem::path& dir,
                 nlohmann::json meta) {
  Trace t;
  t.format = "aistor";
  t.meta = std::move(meta);
  t.timed_results = true;
  std::unordered_map<std::string, std::uint32_t> index;
  std::size_t total = 0;
  for (const TraceLog* log : logs)
    total += log->ops().size();
  t.ops.reserve(total);
  for (const TraceLog* log : logs) {
    std::vector<std::uint32_t> remap;
    for (const auto& name : log->names()) {
      const std::string n = trace_name(name, dir);
      auto [it, added] = index.try_emplace(n, static_cast<std::uint32_t>(t.files.size()));
      if (added) t.files.push_back(n);
      remap.push_back(it->second);
    }
    for (TraceOp op : log->issue_order()) {
      op.file = remap[op.file];
      t.streams = std::max(t.streams, op.stream + 1);
      t.ops.push_back(op);
    }
    t.dropped += log->dropped();
  }
  t.streams = std::max<std::uint32_t>(t.streams, static_cast<std::uint32_t>(logs.size()));
  std::stable_sort(t.ops.begin(), t.ops.end(),
                   [](const TraceOp& a, const TraceOp& b) { return a.start_ns < b.start_ns; });
  return t;
}

void write_trace(const std::filesystem::path& path, const Trace& trace) {
  nlohmann::json meta = trace.meta;
  meta["files"] = trace.files;
  meta["streams"] = trace.streams;
  meta["dropped_ops"] = trace.dropped;
  meta["truncated"] = trace.dropped > 0;
  const std::string text = meta.dump();
  const std::size_t ops_bytes = trace.ops.size() * sizeof(TraceOp);
  std::string out(kTraceHeaderBytes + text.size() + ops_bytes, '\0');
  std::memcpy(out.data(), kMagic, 8);
  put<std::uint32_t>(out, 8, kTraceVersion);
  put<std::uint32_t>(out, 12, static_cast<std::uint32_t>(text.size()));
  put<std::uint64_t>(out, 16, trace.ops.size());
  put<std::uint64_t>(out, 24, checksum64(text.data(), text.size()));
  if (ops_bytes != 0)
    std::memcpy(out.data() + kTraceHeaderBytes + text.size(), trace.ops.data(), ops_bytes);
  put<std::uint64_t>(out, 32, checksum64(out.data() + kTraceHeaderBytes + text.size(), ops_bytes));
  std::memcpy(out.data() + kTraceHeaderBytes, text.data(), text.size());
  write_file_durably(path, out);
}

bool is_aistor_trace(std::string_view head) noexcept {
  return head.size() >= 8 && std::memcmp(head.data(), kMagic, 8) == 0;
}

Trace parse_trace(std::string_view bytes, std::string_view origin) {
  if (bytes.size() < kTraceHeaderBytes) {
    throw InputError(fmt::format("{}: truncated: {} bytes, shorter than the {}-byte header", origin,
                                 bytes.size(), kTraceHeaderBytes));
  }
  if (!is_aistor_trace(bytes))
    throw InputError(fmt::format("{}: not an aistor trace (no AISTORTR at byte 0)", origin));
  const auto version = get<std::uint32_t>(bytes, 8);
  if (version != kTraceVersion) {
    throw InputError(fmt::format("{}: trace version {} at byte 8; this aistor reads version {}",
                                 origin, version, kTraceVersion));
  }
  const auto meta_bytes = get<std::uint32_t>(bytes, 12);
  const auto count = get<std::uint64_t>(bytes, 16);
  const std::uint64_t body = bytes.size() - kTraceHeaderBytes;
  if (meta_bytes > body || meta_bytes > kMaxTraceMetaBytes) {
    throw InputError(fmt::format("{}: truncated: meta text of {} bytes at byte {}, {} bytes left",
                                 origin, meta_bytes, kTraceHeaderBytes, body));
  }
  if (count > (body - meta_bytes) / sizeof(TraceOp) ||
      count * sizeof(TraceOp) != body - meta_bytes) {
    throw InputError(fmt::format(
        "{}: truncated or padded: {} ops of {} bytes from byte {} need {} bytes, the file has {}",
        origin, count, sizeof(TraceOp), kTraceHeaderBytes + meta_bytes,
        kTraceHeaderBytes + meta_bytes + static_cast<double>(count) * sizeof(TraceOp),
        bytes.size()));
  }
  const std::string_view text = bytes.substr(kTraceHeaderBytes, meta_bytes);
  if (checksum64(text.data(), text.size()) != get<std::uint64_t>(bytes, 24))
    throw InputError(
        fmt::format("{}: corrupt: the meta text at byte 64 fails its checksum", origin));
  const std::string_view ops = bytes.substr(kTraceHeaderBytes + meta_bytes);
  if (checksum64(ops.data(), ops.size()) != get<std::uint64_t>(bytes, 32)) {
    throw InputError(fmt::format("{}: corrupt: the ops from byte {} fail their checksum", origin,
                                 kTraceHeaderBytes + meta_bytes));
  }
  Trace t;
  t.format = "aistor";
  t.timed_results = true;
  try {
    t.meta = nlohmann::json::parse(text, json_depth_guard(std::string(origin)));
    for (const auto& f : t.meta.at("files"))
      t.files.push_back(f.get<std::string>());
    t.streams = t.meta.at("streams").get<std::uint32_t>();
    t.dropped = t.meta.value("dropped_ops", std::uint64_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: the meta text at byte 64: {}", origin, e.what()));
  }
  t.meta.erase("files");
  t.ops.resize(count);
  if (count != 0) std::memcpy(t.ops.data(), ops.data(), ops.size());
  for (std::size_t i = 0; i < t.ops.size(); ++i)
    check_op(t.ops[i], t, i, origin);
  return t;
}

std::string read_whole(const std::filesystem::path& path, std::uint64_t max_bytes) {
  // O_NONBLOCK: a FIFO named as a trace must not hang the open; it is refused below.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) throw_errno("open", path.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat", path.string());
  if (!S_ISREG(st.st_mode)) throw InputError(fmt::format("{}: not a regular file", path.string()));
  if (max_bytes == 0) {
    // A quarter of the machine's memory: the text, and the ops parsed from it, must both fit.
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page = ::sysconf(_SC_PAGESIZE);
    max_bytes = pages > 0 && page > 0
                    ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 4
                    : std::uint64_t{16} << 30;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    throw InputError(
        fmt::format("{}: {} bytes, larger than the {} bytes this reader takes (a "
                    "quarter of the machine's memory)",
                    path.string(), st.st_size, max_bytes));
  }
  std::string s(static_cast<std::size_t>(st.st_size), '\0');
  const auto got = pread_full(fd.get(), reinterpret_cast<std::byte*>(s.data()), s.size(), 0);
  if (got < 0) throw_system(static_cast<int>(-got), "read", path.string());
  s.resize(static_cast<std::size_t>(got));
  return s;
}

Trace read_trace(const std::filesystem::path& path) {
  return parse_trace(read_whole(path), path.string());
}

}  // namespace aistor::formats
