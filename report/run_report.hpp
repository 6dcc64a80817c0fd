#pragma once
// The run report assembled from what a run measured and what this build and machine are: tool
// (version, commit, build, engines compiled), host (with the GPUs the caller found), targets
// (each phase's filesystem or device, probed here), and what aistor itself cost (peak RSS, CPU).
// No CLI needed: a test builds a report the way `aistor run` does.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.hpp"

namespace aistor {

struct RunFacts {
  std::string started_at;  // ISO 8601, UTC
  double wall_s = 0;
  Status status = Status::ok;
  nlohmann::json config;  // fully resolved
  std::string config_sha256;
  nlohmann::json phases = nlohmann::json::array();
  nlohmann::json repetitions = nlohmann::json::array();
  nlohmann::json searches = nlohmann::json::array();
  std::vector<std::string> engines_compiled;
  // Where the phases ran (directories or block devices), each probed once, in order.
  std::vector<std::filesystem::path> targets;
  // The GPUs found ({index, name, memory_bytes, pci_bus}), and why none when none.
  nlohmann::json gpus = nlohmann::json::array();
  std::string gpu_note;
};

// Probes the host and targets (a target that cannot be probed is a row with its error) and the
// process's usage so far; never throws for the machine's sake.
[[nodiscard]] nlohmann::json make_run_report(const RunFacts& facts);

// This build: name, version, commit, build type, and the engines given.
[[nodiscard]] nlohmann::json tool_info(const std::vector<std::string>& engines_compiled);

// Peak resident memory and CPU time of this process so far.
[[nodiscard]] nlohmann::json process_usage();

}  // namespace aistor
