// `aistor trace show|export`: what a trace holds, and the trace written for other tools.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <map>
#include <sstream>

#include "apps/cli.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "workloads/formats/trace_export.hpp"
#include "workloads/formats/trace_import.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "aistor: usage: aistor trace show FILE [--format auto|aistor|fio|blkparse|mlperf-kv]\n"
    "               aistor trace export FILE --to csv|fio [--output OUT] [--format ...]\n";

struct TraceArgs {
  std::string verb;
  std::string file;
  std::string to;
  std::string output;
  formats::TraceFormat format = formats::TraceFormat::automatic;
};

TraceArgs parse_trace_args(const std::vector<std::string>& args) {
  TraceArgs t;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw InputError(fmt::format("{} needs a value", a));
      return args[++i];
    };
    if (a == "--to") {
      t.to = value();
      if (t.to != "csv" && t.to != "fio")
        throw InputError(fmt::format("--to {}: csv or fio", t.to));
    } else if (a == "--output" || a == "-o") {
      t.output = value();
    } else if (a == "--format") {
      const auto f = formats::trace_format_from(value());
      if (!f)
        throw InputError(
            fmt::format("--format {}: auto, aistor, fio, blkparse or mlperf-kv", args[i]));
      t.format = *f;
    } else if (!a.empty() && a[0] == '-') {
      throw InputError(fmt::format("unknown option {}", a));
    } else if (t.verb.empty()) {
      t.verb = a;
    } else if (t.file.empty()) {
      t.file = a;
    } else {
      throw InputError(fmt::format("unexpected argument {}", a));
    }
  }
  if ((t.verb != "show" && t.verb != "export") || t.file.empty())
    throw InputError("give show or export, and a trace FILE");
  if (t.verb == "export" && t.to.empty()) throw InputError("export needs --to csv or --to fio");
  return t;
}

void show(const formats::Trace& t, const std::string& file, std::ostream& out) {
  std::uint64_t bytes[2] = {0, 0};
  std::uint64_t ops[2] = {0, 0};
  std::uint64_t syncs = 0;
  std::map<std::uint32_t, std::uint64_t> sizes;
  for (const auto& o : t.ops) {
    if (o.op == kTraceSync) {
      ++syncs;
      continue;
    }
    bytes[o.op] += o.length;
    ++ops[o.op];
    ++sizes[o.length];
  }
  const double span = t.ops.empty() ? 0.0 : static_cast<double>(t.ops.back().start_ns) / 1e9;
  fmt::print(out, "{}: {} trace, {} streams, {} files\n", file, t.format, t.streams,
             t.files.size());
  fmt::print(out, "  reads  {} ops, {}\n", ops[0], human_bytes(static_cast<double>(bytes[0])));
  fmt::print(out, "  writes {} ops, {}\n", ops[1], human_bytes(static_cast<double>(bytes[1])));
  if (syncs != 0) fmt::print(out, "  syncs  {}\n", syncs);
  fmt::print(
      out, "  span {:.6f} s{}\n", span,
      span > 0 ? fmt::format(", {:.0f} ops/s", static_cast<double>(ops[0] + ops[1]) / span) : "");
  std::string common;
  std::size_t shown = 0;
  for (auto it = sizes.begin(); it != sizes.end() && shown < 6; ++it, ++shown)
    common += fmt::format("{}{} x {}", shown ? ", " : "", it->second, human_bytes(it->first));
  fmt::print(out, "  sizes {}{}\n", common, sizes.size() > 6 ? ", ..." : "");
  if (t.skipped) fmt::print(out, "  skipped {} lines that are no read or write\n", t.skipped);
  if (t.dropped) fmt::print(out, "  truncated: {} ops were not kept when recording\n", t.dropped);
  if (t.meta.contains("phase"))
    fmt::print(out, "  recorded from phase {} ({})\n", t.meta["phase"].dump(),
               t.meta.value("workload", "?"));
}

}  // namespace

int trace(const std::vector<std::string>& args, Streams io) {
  TraceArgs a;
  try {
    a = parse_trace_args(args);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n{}", e.what(), kUsage);
    return 2;
  }
  try {
    const auto t = formats::load_trace(a.file, a.format);
    if (a.verb == "show") {
      show(t, a.file, io.out);
      return 0;
    }
    std::ostringstream text;
    if (a.to == "csv") {
      formats::write_trace_csv(text, t);
    } else {
      formats::write_fio_iolog(text, t);
    }
    if (a.output.empty()) {
      io.out << text.str();
    } else {
      write_file_durably(a.output, text.str());
    }
    return 0;
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 1;
  }
}

}  // namespace aistor::cli
