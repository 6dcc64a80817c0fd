#include "workloads/mlperf/mlperf_rules.hpp"

#include <fmt/format.h>

#include "core/units.hpp"

namespace aistor {
namespace {

RuleCheck results_apart(bool same) {
  return {"results on another filesystem than the data", !same,
          same ? "the report's directory is on the data's filesystem"
               : "the report's directory is on another filesystem"};
}

}  // namespace

std::vector<RuleCheck> training_rules(const TrainingFacts& f) {
  std::vector<RuleCheck> out;
  const double times_ram =
      f.ram_bytes ? static_cast<double>(f.dataset_bytes) / static_cast<double>(f.ram_bytes) : 0;
  const bool big = f.dataset_bytes >= 5 * f.ram_bytes;
  out.push_back({"dataset >= 5 x host memory, or the cache defeated", big || f.direct,
                 fmt::format("dataset {} = {:.2f} x memory {}{}", short_size(f.dataset_bytes),
                             times_ram, short_size(f.ram_bytes),
                             big        ? ""
                             : f.direct ? "; the cache defeated: O_DIRECT reads"
                                        : "; the page cache serves re-reads")});
  const std::uint64_t per_step = std::uint64_t{f.batch} * std::max(1u, f.accelerators);
  const std::uint64_t steps = per_step ? f.samples / per_step : 0;
  out.push_back({">= 500 steps per epoch", steps >= 500,
                 fmt::format("{} samples / (batch {} x {} accelerators) = {} steps", f.samples,
                             f.batch, f.accelerators, steps)});
  out.push_back({"1 warm-up + 5 runs", f.warmups >= 1 && f.runs >= 5,
                 fmt::format("{} warm-up, {} runs", f.warmups, f.runs)});
  out.push_back(results_apart(f.same_filesystem));
  return out;
}

std::vector<RuleCheck> checkpoint_rules(const CheckpointFacts& f) {
  std::vector<RuleCheck> out;
  out.push_back({"10 checkpoint writes with fsync, then 10 reads",
                 f.saves >= 10 && f.restores >= 10,
                 fmt::format("{} durable saves, {} restores", f.saves, f.restores)});
  const bool small = f.bytes < 3 * f.ram_bytes;
  out.push_back({"caches cleared between reads where a checkpoint < 3 x RAM",
                 !small || f.cold_restores,
                 fmt::format("checkpoint {} {} 3 x memory {}; {}", short_size(f.bytes),
                             small ? "<" : ">=", short_size(f.ram_bytes),
                             f.cold_restores ? "page cache dropped before each restore"
                                             : "restores from a warm cache")});
  out.push_back(results_apart(f.same_filesystem));
  return out;
}

nlohmann::json to_json(const std::vector<RuleCheck>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules)
    out.push_back({{"rule", r.rule}, {"status", r.pass ? "PASS" : "FAIL"}, {"figure", r.figure}});
  return out;
}

}  // namespace aistor
