#pragma once
// The run report: one JSON document ("schema": "aistor.report/1", described by
// report/schema.json) assembled from parts the caller measured. The report knows nothing of how
// the numbers were made.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.hpp"

namespace aistor {

inline constexpr const char* kReportSchema = "aistor.report/1";

struct ReportParts {
  Status status = Status::ok;
  nlohmann::json tool;     // version, git_sha, build_type, engines_compiled
  nlohmann::json host;     // core/host_info
  nlohmann::json targets;  // list of core/target_info
  nlohmann::json config;   // resolved
  std::string config_sha256;
  nlohmann::json phases;   // list
  nlohmann::json process;  // the tool's own cost: max_rss_bytes, user_s, sys_s
  nlohmann::json repetitions = nlohmann::json::array();  // medians of repeated phases
  nlohmann::json searches = nlohmann::json::array();     // phases run as a search
  std::string started_at;                                // ISO 8601 UTC
  double wall_s = 0;
};

[[nodiscard]] nlohmann::json make_report(const ReportParts& parts);

// Writes atomically (temporary name in the same directory, then rename), so a reader never sees a
// half-written report. Throws SystemError.
void write_report(const std::filesystem::path& path, const nlohmann::json& report);

// ISO 8601 UTC of now, e.g. "2026-11-22T10:00:00Z".
[[nodiscard]] std::string utc_now_iso8601();

}  // namespace aistor
