#pragma once
// MLPerf Storage v3.0's run rules, checked and reported rather than assumed: each a PASS or FAIL
// row with the figure it was judged on.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

struct RuleCheck {
  std::string rule;
  bool pass = false;
  std::string figure;
};

struct TrainingFacts {
  std::uint64_t dataset_bytes = 0;
  std::uint64_t ram_bytes = 0;
  bool direct = false;  // reads bypass the page cache (O_DIRECT)
  std::uint64_t samples = 0;
  std::uint32_t batch = 0;
  unsigned accelerators = 0;  // given, or found by the search
  unsigned warmups = 0;
  unsigned runs = 0;
  bool same_filesystem = false;  // the results beside the data
};

struct CheckpointFacts {
  std::uint64_t bytes = 0;  // one checkpoint, every rank (this machine is the one node)
  std::uint64_t ram_bytes = 0;
  bool cold_restores = false;  // page cache dropped before each restore
  unsigned saves = 0;
  unsigned restores = 0;
  bool same_filesystem = false;
};

// Dataset >= 5 x host memory (or the cache defeated: O_DIRECT), >= 500 steps per epoch,
// 1 warm-up + 5 runs, results on another filesystem than the data.
[[nodiscard]] std::vector<RuleCheck> training_rules(const TrainingFacts& f);
// 10 durable saves then 10 restores, caches cleared between where a checkpoint is under 3 x RAM,
// results on another filesystem than the checkpoints.
[[nodiscard]] std::vector<RuleCheck> checkpoint_rules(const CheckpointFacts& f);

[[nodiscard]] nlohmann::json to_json(const std::vector<RuleCheck>& rules);

}  // namespace aistor
