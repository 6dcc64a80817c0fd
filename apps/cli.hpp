#pragma once
// The verbs of the aistor command line, each a function a test can call. They print to the given
// streams and return the process exit code: 0 ok, 1 the run or check failed, 2 bad usage or input.
#include <atomic>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor::cli {

struct Streams {
  std::ostream& out;
  std::ostream& err;
  bool tty = false;  // live progress line on `err` when true
};

int run(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop);
// Adds to a run's report before it is written (and may print after the summary table).
using ReportAmend = std::function<void(nlohmann::json& report)>;
// Runs `config` (JSON, not a file) as `aistor run` runs a file: summary table, report at `output`.
int run_json(const nlohmann::json& config, const std::filesystem::path& output, Streams io,
             const std::atomic<bool>& stop, const ReportAmend& amend);
// `aistor mlperf training|checkpoint PRESET --dir DIR ...` (args after "mlperf").
int mlperf(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop);
int validate(const std::vector<std::string>& args, Streams io);
int engines(const std::vector<std::string>& args, Streams io);
int gen(const std::vector<std::string>& args, Streams io, const std::atomic<bool>& stop);
int inspect(const std::vector<std::string>& args, Streams io);
int probe(const std::vector<std::string>& args, Streams io);
int report(const std::vector<std::string>& args, Streams io);
int compare(const std::vector<std::string>& args, Streams io);
int history(const std::vector<std::string>& args, Streams io);
// A threshold or significance level: "5%" or "0.05" -> 0.05; InputError "<verb>: <flag>: ..."
// unless strictly between 0 and 1.
[[nodiscard]] double parse_fraction(std::string_view verb, std::string_view flag,
                                    const std::string& value);
// `aistor trace show|export ...` (args after "trace").
int trace(const std::vector<std::string>& args, Streams io);
// `aistor gen model ...` (args after "model").
int gen_model(const std::vector<std::string>& args, Streams io);

// The "tool" block of reports: version, git sha, build type, engines compiled in.
[[nodiscard]] std::string usage();

}  // namespace aistor::cli
