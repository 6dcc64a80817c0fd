#pragma once
// MLPerf Storage v3.0's workloads as aistor configs: training presets (the samples workload with
// MLPerf's sample sizes, files, batch, read threads and H100 step time) and checkpoint presets
// (the checkpoint workload sized rank by rank as MLPerf's DLIO sizes it), each scaled by one key
// to fit a small disk, and the run rules' structure (1 warm-up + 5 runs; 10 saves then 10
// restores). Sources: mlcommons/storage configs/dlio/workload/*_h100.yaml and llama3_*.yaml.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

struct TrainingPreset {
  std::string name;
  std::string accelerator;         // the simulated accelerator: h100, a100, b200, mi355
  std::uint64_t sample_bytes = 0;  // mean record length
  std::uint64_t sample_stdev = 0;  // 0: fixed
  std::uint64_t files = 0;         // MLPerf's num_files_train
  std::uint64_t samples_per_file = 1;
  std::uint32_t batch = 0;
  unsigned read_threads = 0;
  double step_s = 0;  // computation_time per step on that accelerator
  double au = 0;      // the accelerator utilisation a run must keep
  unsigned epochs = 0;
  [[nodiscard]] std::uint64_t samples() const { return files * samples_per_file; }
};

struct CheckpointPreset {
  std::string name;
  unsigned layers = 0, hidden = 0, ffn = 0, heads = 0, kv_heads = 0, vocab = 0;
  unsigned tp = 1, pp = 1, dp = 1, zero = 0;
  [[nodiscard]] unsigned ranks() const { return tp * pp * dp; }
};

[[nodiscard]] const std::vector<TrainingPreset>& training_presets();
// The training preset for `name` on `accelerator`; InputError naming what is known.
[[nodiscard]] const TrainingPreset& training_preset(const std::string& name,
                                                    const std::string& accelerator);
[[nodiscard]] const std::vector<CheckpointPreset>& checkpoint_presets();

struct MlperfRun {
  std::filesystem::path dir;
  double scale = 1.0;                    // the one key: files (training) or bytes (checkpoint)
  std::optional<unsigned> accelerators;  // training: simulated accelerators; none: search
  std::string accelerator = "h100";      // training: which accelerator's step time
  unsigned runs = 5;                     // training: measured runs after the warm-up
  std::optional<unsigned> epochs;        // training: epochs a run (none: the preset's)
  std::string engine;        // empty: io_uring, with O_DIRECT where samples are 1 MiB or more
  unsigned search_from = 1;  // training: the search doubles from here
};

// The config `aistor mlperf training PRESET` runs: a warm-up run, then `runs` runs (or, with no
// accelerator count, a search for the most accelerators at the preset's AU). InputError for an
// unknown preset (naming the known ones) or a scale that leaves no file.
[[nodiscard]] nlohmann::json training_config(const std::string& preset, const MlperfRun& run);
// `aistor mlperf checkpoint PRESET`: 10 durable saves, then 10 restores from a cold cache.
[[nodiscard]] nlohmann::json checkpoint_config(const std::string& preset, const MlperfRun& run);

}  // namespace aistor
