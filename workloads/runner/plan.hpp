#pragma once
// From a config file to a validated Plan: comments allowed, --set overrides applied, `matrix`
// expanded into one phase per combination, every key checked (unknown keys, wrong types and
// impossible values are InputErrors naming the JSON path). Nothing is opened or created here.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/engine_config.hpp"

namespace aistor {

enum class CacheKind : std::uint8_t { cold, warm, as_is };

struct CachePolicy {
  CacheKind kind = CacheKind::cold;
  bool drop_caches = false;  // also echo 3 > drop_caches (root, and allowed by the config)
};

// "search": run the phase again and again with one integer key changed, to find the largest value
// whose result still meets a target (MLPerf Storage's "how many accelerators can this storage
// feed", or the most kv-cache users at a p95 latency target): doubling from `from` until the target
// is missed or `to` is reached, then bisecting.
struct SearchSpec {
  std::string param;                           // a top-level integer key of the phase
  std::string metric = "workload_metrics.au";  // dotted path into the phase's result
  double at_least = 0.9;
  // Instead: the metric must stay at or below this (a latency: the most users at a p95 target).
  std::optional<double> at_most;
  std::int64_t from = 1;
  std::int64_t to = 64;
};

struct PhaseSpec {
  std::string name;
  std::string workload;
  nlohmann::json config;  // the phase object after expansion (workload keys included)
  std::string path;       // its JSON path, for messages: "phases[2]"
  nlohmann::json params;  // the matrix values that made this phase (object; may be empty)
  EngineConfig engine;
  CachePolicy cache;
  unsigned repeat = 1;
  bool stop_on_error = true;
  std::filesystem::path dir;
  std::uint64_t interval_ns = 100'000'000;
  std::optional<SearchSpec> search;
  // `trace`: where every op the phase issues is written down (workloads/formats/trace_file.hpp).
  std::optional<std::filesystem::path> trace;

  // Where the phase's I/O lands: its block device (a raw phase's `device`), else its directory.
  [[nodiscard]] std::filesystem::path target() const {
    if (config.is_object() && config.contains("device") && config["device"].is_string())
      return config["device"].get<std::string>();
    return dir;
  }
};

// The most phases a plan may hold (matrices expanded): more is a mistake, not a benchmark, and
// would exhaust memory before the first phase ran.
inline constexpr std::uint64_t kMaxPhases = 10'000;
// And the most configuration text a matrix may expand to (cells x the phase's size).
inline constexpr std::uint64_t kMaxPlanBytes = 16u << 20;

struct Plan {
  nlohmann::json resolved;  // the config after overrides and matrix expansion
  std::string sha256;       // of resolved.dump()
  std::filesystem::path dir;
  bool allow_drop_caches = false;
  std::uint64_t rank_timeout_ns = 0;  // under mpirun: the longest a collective waits
  std::vector<PhaseSpec> phases;
};

// Reads and parses a config file (comments allowed). InputError names the file and line.
[[nodiscard]] nlohmann::json read_config_file(const std::filesystem::path& path);

// Applies "a.b.0.c=value" (value parsed as JSON when it is JSON, else taken as a string).
void apply_override(nlohmann::json& config, std::string_view assignment);

// Validates and expands. `dir_override` replaces the config's top-level "dir".
[[nodiscard]] Plan make_plan(const nlohmann::json& config,
                             const std::optional<std::filesystem::path>& dir_override);

[[nodiscard]] const char* to_string(CacheKind kind) noexcept;

}  // namespace aistor
