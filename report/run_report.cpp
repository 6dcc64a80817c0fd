#include "report/run_report.hpp"

#include <sys/resource.h>

#include <set>

#include "core/host_info.hpp"
#include "core/target_info.hpp"
#include "report/report.hpp"

#include "git_info.hpp"  // generated: AISTOR_GIT_SHA, AISTOR_GIT_DIRTY

#ifndef AISTOR_COMPILER
#define AISTOR_COMPILER "unknown"
#endif
#ifndef AISTOR_BUILD_TYPE
#define AISTOR_BUILD_TYPE "unknown"
#endif
#ifndef AISTOR_VERSION
#define AISTOR_VERSION "0.0.0"
#endif

namespace aistor {
namespace {

nlohmann::json targets_json(const std::vector<std::filesystem::path>& targets) {
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string> seen;
  for (const auto& target : targets) {
    if (!seen.insert(target.string()).second) continue;
    try {
      out.push_back(target_info(target));
    } catch (const std::exception& e) {
      out.push_back({{"path", target.string()}, {"error", e.what()}});
    }
  }
  return out;
}

}  // namespace

nlohmann::json tool_info(const std::vector<std::string>& engines_compiled) {
  return {{"name", "aistor"},
          {"version", AISTOR_VERSION},
          {"git_sha", AISTOR_GIT_SHA},
          {"git_modified", AISTOR_GIT_DIRTY != 0},
          {"build_type", AISTOR_BUILD_TYPE},
          {"compiler", AISTOR_COMPILER},
          {"engines_compiled", engines_compiled}};
}

nlohmann::json process_usage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {{"max_rss_bytes", static_cast<std::uint64_t>(ru.ru_maxrss) * 1024},
          {"user_s", seconds(ru.ru_utime)},
          {"sys_s", seconds(ru.ru_stime)}};
}

nlohmann::json make_run_report(const RunFacts& facts) {
  ReportParts parts;
  parts.started_at = facts.started_at;
  parts.wall_s = facts.wall_s;
  parts.status = facts.status;
  parts.tool = tool_info(facts.engines_compiled);
  parts.host = host_info();
  parts.host["gpus"] = facts.gpus;
  if (!facts.gpu_note.empty()) parts.host["gpu_note"] = facts.gpu_note;
  parts.targets = targets_json(facts.targets);
  parts.config = facts.config;
  parts.config_sha256 = facts.config_sha256;
  parts.phases = facts.phases;
  parts.repetitions = facts.repetitions;
  parts.searches = facts.searches;
  parts.process = process_usage();
  return make_report(parts);
}

}  // namespace aistor
