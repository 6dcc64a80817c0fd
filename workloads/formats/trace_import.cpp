#include "workloads/formats/trace_import.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace aistor::formats {
namespace {

// Lines of a text, numbered from 1, a trailing '\r' dropped.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (at_ >= text_.size()) return false;
    const std::size_t end = std::min(text_.find('\n', at_), text_.size());
    line = text_.substr(at_, end - at_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    at_ = end + 1;
    ++number_;
    return true;
  }
  [[nodiscard]] std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
  std::size_t number_ = 0;
};

std::vector<std::string_view> split(std::string_view line, char sep = '\0') {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  if (sep != '\0') {
    for (;;) {
      const std::size_t j = line.find(sep, i);
      out.push_back(line.substr(i, j == std::string_view::npos ? line.size() - i : j - i));
      if (j == std::string_view::npos) return out;
      i = j + 1;
    }
  }
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t')
      ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// What every reader keeps: the trace, its file index, the place for messages.
class Builder {
 public:
  Builder(std::string format, std::string_view origin, std::uint64_t max_ops)
      : origin_(origin), max_ops_(max_ops) {
    t_.format = std::move(format);
  }

  [[noreturn]] void fail(std::size_t line, std::string_view what) const {
    throw InputError(fmt::format("{}: line {}: {}", origin_, line, what));
  }

  std::uint64_t number(std::string_view s, std::size_t line, std::string_view what) const {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
      fail(line, fmt::format("{} '{}' is not a whole number", what, s));
    return v;
  }

  // "12.345678901" seconds as nanoseconds.
  std::uint64_t seconds_ns(std::string_view s, std::size_t line) const {
    const std::size_t dot = s.find('.');
    const std::uint64_t whole = number(s.substr(0, dot), line, "time");
    std::uint64_t frac = 0;
    if (dot != std::string_view::npos) {
      std::string digits(s.substr(dot + 1).substr(0, 9));
      if (digits.empty()) fail(line, fmt::format("time '{}' has no digits after the point", s));
      digits.resize(9, '0');
      frac = number(digits, line, "time");
    }
    if (whole > UINT64_MAX / 1'000'000'000ULL - 1)
      fail(line, fmt::format("time '{}' too large", s));
    return whole * 1'000'000'000ULL + frac;
  }

  std::uint32_t file(std::string_view name) {
    auto [it, added] =
        files_.try_emplace(std::string(name), static_cast<std::uint32_t>(t_.files.size()));
    if (added) t_.files.emplace_back(name);
    return it->second;
  }
  [[nodiscard]] bool known(std::string_view name) const {
    return files_.contains(std::string(name));
  }

  std::uint32_t stream(std::uint64_t key) {
    auto [it, added] = streams_.try_emplace(key, static_cast<std::uint32_t>(streams_.size()));
    return it->second;
  }

  // One op, cut into pieces of at most kMaxImportedOp.
  void op(std::size_t line, std::uint8_t kind, std::uint32_t file, std::uint64_t offset,
          std::uint64_t length, std::uint64_t start_ns, std::uint32_t stream) {
    if (length == 0) fail(line, "an op of 0 bytes");
    if (offset > UINT64_MAX - length) fail(line, "offset + length past 2^64");
    const std::uint64_t pieces = (length - 1) / kMaxImportedOp + 1;
    if (pieces > max_ops_ - std::min<std::uint64_t>(max_ops_, t_.ops.size()))
      fail(line, fmt::format("an op of {} bytes takes the trace past {} ops of at most {} bytes",
                             length, max_ops_, kMaxImportedOp));
    for (std::uint64_t done = 0; done < length; done += kMaxImportedOp) {
      TraceOp o;
      o.start_ns = start_ns;
      o.offset = offset + done;
      o.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(kMaxImportedOp, length - done));
      o.result = o.length;
      o.file = file;
      o.stream = stream;
      o.op = kind;
      t_.ops.push_back(o);
    }
  }
  void sync(std::size_t line, std::uint32_t file, std::uint64_t start_ns, std::uint32_t stream) {
    if (t_.ops.size() >= max_ops_)
      fail(line, fmt::format("the trace holds more than {} ops", max_ops_));
    TraceOp o;
    o.start_ns = start_ns;
    o.file = file;
    o.stream = stream;
    o.op = kTraceSync;
    t_.ops.push_back(o);
  }
  void skip() { ++t_.skipped; }

  Trace done() {
    if (std::none_of(t_.ops.begin(), t_.ops.end(),
                     [](const TraceOp& o) { return o.op != kTraceSync; }))
      throw InputError(fmt::format("{}: no read or write in the trace", origin_));
    t_.streams = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(streams_.size()));
    std::stable_sort(t_.ops.begin(), t_.ops.end(),
                     [](const TraceOp& a, const TraceOp& b) { return a.start_ns < b.start_ns; });
    const std::uint64_t first = t_.ops.front().start_ns;
    for (auto& o : t_.ops)
      o.start_ns -= first;
    return std::move(t_);
  }

 private:
  std::string origin_;
  std::uint64_t max_ops_;
  Trace t_;
  std::unordered_map<std::string, std::uint32_t> files_;
  std::map<std::uint64_t, std::uint32_t> streams_;
};

std::optional<std::uint8_t> data_op(std::string_view action) {
  if (action == "read") return kTraceRead;
  if (action == "write") return kTraceWrite;
  return std::nullopt;
}

}  // namespace

std::optional<TraceFormat> trace_format_from(std::string_view name) {
  for (auto f : {TraceFormat::automatic, TraceFormat::aistor, TraceFormat::fio,
                 TraceFormat::blkparse, TraceFormat::mlperf_kv}) {
    if (name == to_string(f)) return f;
  }
  return std::nullopt;
}

const char* to_string(TraceFormat f) noexcept {
  switch (f) {
    case TraceFormat::automatic:
      return "auto";
    case TraceFormat::aistor:
      return "aistor";
    case TraceFormat::fio:
      return "fio";
    case TraceFormat::blkparse:
      return "blkparse";
    case TraceFormat::mlperf_kv:
      break;
  }
  return "mlperf-kv";
}

TraceFormat detect_trace_format(std::string_view bytes, std::string_view origin) {
  if (is_aistor_trace(bytes)) return TraceFormat::aistor;
  Lines lines(bytes);
  std::string_view line;
  while (lines.next(line)) {
    const auto words = split(line);
    if (words.empty()) continue;
    if (line.starts_with("fio version ")) return TraceFormat::fio;
    if (lower(trim(split(line, ',').front())) == "timestamp") return TraceFormat::mlperf_kv;
    const std::string_view dev = words.front();
    const std::size_t comma = dev.find(',');
    if (comma != std::string_view::npos && comma > 0 && words.size() >= 6 &&
        std::all_of(dev.begin(), dev.end(), [](char c) { return c == ',' || std::isdigit(c); }))
      return TraceFormat::blkparse;
    break;
  }
  throw InputError(fmt::format(
      "{}: unknown trace format (not an aistor trace, a fio iolog v2/v3, blkparse text, or "
      "MLPerf KV-cache CSV)",
      origin));
}

Trace parse_fio_iolog(std::string_view text, std::string_view origin, std::uint64_t max_ops) {
  Lines lines(text);
  std::string_view line;
  if (!lines.next(line)) throw InputError(fmt::format("{}: empty", origin));
  unsigned version = 0;
  if (line == "fio version 2 iolog") version = 2;
  if (line == "fio version 3 iolog") version = 3;
  Builder b(version == 3 ? "fio v3" : "fio v2", origin, max_ops);
  if (version == 0)
    b.fail(1, fmt::format("'{}': fio iologs of version 2 and 3 are read", line.substr(0, 60)));
  std::uint64_t clock_ns = 0;  // v2: the sum of the waits so far
  while (lines.next(line)) {
    auto w = split(line);
    if (w.empty()) continue;
    const std::size_t n = lines.number();
    if (version == 3) {
      if (w.size() < 3) b.fail(n, "expected 'timestamp file action [offset length]'");
      clock_ns = b.number(w[0], n, "timestamp") * 1000;
      w.erase(w.begin());
    }
    if (w.size() < 2) b.fail(n, "expected 'file action [offset length]'");
    const std::string_view file = w[0];
    const std::string_view action = w[1];
    if (action == "add") {
      (void)b.file(file);
    } else if (action == "open" || action == "close") {
      if (!b.known(file)) b.fail(n, fmt::format("{} {} before add", file, action));
    } else if (action == "wait") {
      if (version == 3) b.fail(n, "'wait' is not allowed in a version 3 iolog");
      if (w.size() < 3) b.fail(n, "wait without microseconds");
      clock_ns += b.number(w[2], n, "wait") * 1000;
    } else if (auto kind = data_op(action)) {
      if (w.size() != 4) b.fail(n, fmt::format("{} needs an offset and a length", action));
      if (!b.known(file)) b.fail(n, fmt::format("{} of {} before add", action, file));
      b.op(n, *kind, b.file(file), b.number(w[2], n, "offset"), b.number(w[3], n, "length"),
           clock_ns, 0);
    } else if (action == "sync" || action == "datasync") {
      if (!b.known(file)) b.fail(n, fmt::format("{} of {} before add", action, file));
      b.sync(n, b.file(file), clock_ns, 0);
    } else if (action == "trim") {
      b.skip();
    } else {
      b.fail(n, fmt::format("unknown action '{}'", action.substr(0, 40)));
    }
  }
  (void)b.stream(0);
  return b.done();
}

Trace parse_blkparse(std::string_view text, std::string_view origin, std::uint64_t max_ops) {
  Builder b("blkparse", origin, max_ops);
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const auto w = split(line);
    if (w.empty()) continue;
    const std::size_t n = lines.number();
    // The summary blkparse prints after the events.
    if (w[0].starts_with("CPU") || w[0] == "Total" || w[0] == "Throughput" || w[0] == "Events")
      break;
    if (w.size() < 7 || w[0].find(',') == std::string_view::npos)
      b.fail(n, "expected 'maj,min cpu seq time pid action rwbs ...'");
    if (w[5] != "Q") continue;  // only what the application queued
    const std::string_view rwbs = w[6];
    const bool discard = rwbs.find('D') != std::string_view::npos;
    const bool read = rwbs.find('R') != std::string_view::npos;
    const bool write = rwbs.find('W') != std::string_view::npos;
    if (discard || (!read && !write) || w.size() < 10 || w[8] != "+") {
      b.skip();  // a flush, a discard, or a queue event without a range
      continue;
    }
    const std::uint64_t sectors = b.number(w[9], n, "sector count");
    if (sectors == 0) {
      b.skip();
      continue;
    }
    const std::uint64_t sector = b.number(w[7], n, "sector");
    if (sector > UINT64_MAX / 512 || sectors > UINT64_MAX / 512)
      b.fail(n, "sector past 2^64 bytes");
    std::string dev(w[0]);
    std::replace(dev.begin(), dev.end(), ',', '-');
    b.op(n, read ? kTraceRead : kTraceWrite, b.file("blk-" + dev), sector * 512, sectors * 512,
         b.seconds_ns(w[3], n), b.stream(b.number(w[4], n, "pid")));
  }
  return b.done();
}

Trace parse_mlperf_kv(std::string_view text, std::string_view origin, std::uint64_t max_ops) {
  Builder b("mlperf-kv", origin, max_ops);
  Lines lines(text);
  std::string_view line;
  if (!lines.next(line)) throw InputError(fmt::format("{}: empty", origin));
  const auto head = split(line, ',');
  static constexpr std::string_view kColumns[] = {"timestamp", "operation", "object_size_bytes",
                                                  "tier",      "key",       "phase"};
  if (head.size() < 5)
    b.fail(1, "expected the header Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase");
  for (std::size_t i = 0; i < head.size() && i < std::size(kColumns); ++i) {
    if (lower(trim(head[i])) != kColumns[i])
      b.fail(1, fmt::format("column {} is '{}', expected '{}'", i + 1, trim(head[i]), kColumns[i]));
  }
  const std::uint32_t stream = b.stream(0);
  while (lines.next(line)) {
    const std::size_t n = lines.number();
    if (trim(line).empty()) continue;
    const auto c = split(line, ',');
    if (c.size() < 5) b.fail(n, fmt::format("{} columns, expected at least 5", c.size()));
    const std::string tier = lower(trim(c[3]));
    const auto kind = data_op(lower(trim(c[1])));
    if (!kind) b.fail(n, fmt::format("operation '{}' (read or write)", trim(c[1]).substr(0, 40)));
    if (tier.find("gpu") != std::string::npos || tier.find("cpu") != std::string::npos) {
      b.skip();  // a memory tier: no storage I/O
      continue;
    }
    std::string key(trim(c[4]));
    if (key.empty()) b.fail(n, "an empty key");
    for (char& ch : key) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
        ch = '_';
    }
    b.op(n, *kind, b.file(key + ".npy"), 0, b.number(trim(c[2]), n, "object size"),
         b.seconds_ns(trim(c[0]), n), stream);
  }
  return b.done();
}

Trace parse_any_trace(std::string_view bytes, std::string_view origin, TraceFormat format,
                      std::uint64_t max_ops) {
  if (format == TraceFormat::automatic) format = detect_trace_format(bytes, origin);
  switch (format) {
    case TraceFormat::aistor:
      return parse_trace(bytes, origin);
    case TraceFormat::fio:
      return parse_fio_iolog(bytes, origin, max_ops);
    case TraceFormat::blkparse:
      return parse_blkparse(bytes, origin, max_ops);
    case TraceFormat::mlperf_kv:
    case TraceFormat::automatic:
      break;
  }
  return parse_mlperf_kv(bytes, origin, max_ops);
}

Trace load_trace(const std::filesystem::path& path, TraceFormat format) {
  return parse_any_trace(read_whole(path), path.string(), format);
}

}  // namespace aistor::formats
