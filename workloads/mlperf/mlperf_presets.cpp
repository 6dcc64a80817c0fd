#include "workloads/mlperf/mlperf_presets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace aistor {
namespace {

template <class Preset>
const Preset& find(const std::vector<Preset>& all, const std::string& name, const char* kind) {
  for (const auto& p : all) {
    if (p.name == name) return p;
  }
  std::string known;
  for (const auto& p : all)
    known += (known.empty() ? "" : ", ") + p.name;
  throw InputError(fmt::format("mlperf {}: no preset \"{}\" (known: {})", kind, name, known));
}

std::string seconds(double s) {
  return fmt::format("{}us", std::llround(s * 1e6));
}

}  // namespace

const std::vector<TrainingPreset>& training_presets() {
  // name, accelerator, record bytes, stdev, files, samples per file, batch, read threads,
  // s/step, AU, epochs (mlcommons/storage configs/dlio/workload/<name>_<accelerator>.yaml; b200
  // and mi355 flux and dlrm read parquet row groups, which aistor does not model: not listed)
  static const std::vector<TrainingPreset> all{
      {"unet3d", "h100", 146'600'628, 68'341'808, 168, 1, 7, 4, 0.323, 0.90, 5},
      {"retinanet", "h100", 153'600, 51'200, 1'743'042, 1, 16, 8, 0.180, 0.85, 5},
      {"retinanet", "a100", 153'600, 51'200, 1'743'042, 1, 16, 8, 0.210, 0.85, 5},
      {"retinanet", "b200", 322'957, 0, 1'170'301, 1, 24, 8, 0.04755, 0.85, 8},
      {"retinanet", "mi355", 322'957, 0, 1'170'301, 1, 32, 8, 0.0634, 0.85, 8},
      {"flux", "h100", 307'200, 102'400, 1'099'776, 1, 8, 8, 0.850, 0.80, 5},
      {"flux", "a100", 307'200, 102'400, 1'099'776, 1, 8, 8, 1.100, 0.80, 5},
      {"dlrm", "h100", 512, 0, 65'536, 1, 8192, 8, 0.005, 0.70, 1},
      {"dlrm", "a100", 512, 0, 65'536, 1, 8192, 8, 0.007, 0.70, 1},
      {"resnet50", "h100", 114'660, 0, 1024, 1251, 400, 8, 0.224, 0.90, 5},
      {"cosmoflow", "h100", 2'828'486, 71'311, 524'288, 1, 1, 4, 0.00351, 0.70, 5},
  };
  return all;
}

const TrainingPreset& training_preset(const std::string& name, const std::string& accelerator) {
  std::string names;
  std::string kinds;
  for (const auto& p : training_presets()) {
    if (p.name == name && p.accelerator == accelerator) return p;
    if (names.find(p.name) == std::string::npos) names += (names.empty() ? "" : ", ") + p.name;
    if (p.name == name) kinds += (kinds.empty() ? "" : ", ") + p.accelerator;
  }
  if (kinds.empty())
    throw InputError(fmt::format("mlperf training: no preset \"{}\" (known: {})", name, names));
  throw InputError(
      fmt::format("mlperf training {}: no {} parameters in MLPerf's configs here "
                  "(known: {})",
                  name, accelerator, kinds));
}

const std::vector<CheckpointPreset>& checkpoint_presets() {
  // name, layers, hidden, ffn, heads, kv heads, vocab, tp, pp, dp, ZeRO
  static const std::vector<CheckpointPreset> all{
      {"llama3-8b", 32, 4096, 14336, 32, 8, 128256, 1, 1, 8, 3},
      {"llama3-70b", 80, 8192, 28672, 128, 8, 128256, 8, 1, 8, 3},
      {"llama3-405b", 126, 16384, 53248, 128, 8, 128256, 8, 32, 2, 1},
      {"llama3-1t", 128, 25872, 98304, 192, 32, 128256, 8, 64, 2, 1},
  };
  return all;
}

nlohmann::json training_config(const std::string& name, const MlperfRun& run) {
  const TrainingPreset& p = training_preset(name, run.accelerator);
  const auto files =
      static_cast<std::uint64_t>(std::floor(static_cast<double>(p.files) * run.scale));
  if (files == 0) {
    throw InputError(fmt::format("mlperf training {}: --scale {} leaves none of its {} files", name,
                                 run.scale, p.files));
  }
  nlohmann::json sizes{{"kind", p.sample_stdev ? "normal" : "fixed"},
                       {"mean", fmt::format("{}B", p.sample_bytes)}};
  if (p.sample_stdev) sizes["stdev"] = fmt::format("{}B", p.sample_stdev);
  nlohmann::json dataset{{"format", p.samples_per_file > 1 ? "tfrecord" : "raw"},
                         {"samples", files * p.samples_per_file},
                         {"sizes", sizes}};
  if (p.samples_per_file > 1) dataset["files"] = files;
  // Large samples are read as a storage benchmark reads them, past the page cache: a buffered
  // read of unet3d's 147 MB samples costs the client more CPU than the step computes.
  nlohmann::json engine{{"name", run.engine.empty() ? "io_uring" : run.engine}};
  if (run.engine.empty() && p.sample_bytes >= (1u << 20)) engine["direct"] = true;
  nlohmann::json phase{{"workload", "samples"},
                       {"dataset", dataset},
                       {"epochs", run.epochs.value_or(p.epochs)},
                       {"batch_size", p.batch},
                       // DLIO's epoch is samples / batch steps, rounded down: no short last batch.
                       {"drop_last", true},
                       {"read_threads", p.read_threads},
                       {"compute", seconds(p.step_s)},
                       {"cache", "cold"},
                       {"engine", engine}};
  nlohmann::json phases = nlohmann::json::array();
  if (run.accelerators) {
    phase["accelerators"] = *run.accelerators;
    nlohmann::json warm = phase;
    warm["name"] = "warm-up";
    warm["epochs"] = 1;
    phases.push_back(warm);
    phase["name"] = "run";
    phase["repeat"] = run.runs;
    phases.push_back(phase);
  } else {
    phase["name"] = "search";
    phase["epochs"] = 1;
    // At most the accelerators that leave each 10 steps an epoch: fewer, and its AU (first step
    // left out) says nothing.
    const std::uint64_t most = files * p.samples_per_file / (std::uint64_t{p.batch} * 10);
    const std::uint64_t to = std::clamp<std::uint64_t>(most, run.search_from, 4096);
    phase["search"] = {{"param", "accelerators"},
                       {"metric", "workload_metrics.au"},
                       {"at_least", p.au},
                       {"from", run.search_from},
                       {"to", to}};
    phases.push_back(phase);
  }
  return {{"description", fmt::format("MLPerf Storage v3.0 training {} ({} step time), files x {}",
                                      name, p.accelerator, run.scale)},
          {"dir", run.dir.string()},
          {"phases", phases}};
}

nlohmann::json checkpoint_config(const std::string& name, const MlperfRun& run) {
  const CheckpointPreset& p = find(checkpoint_presets(), name, "checkpoint");
  const std::string engine = run.engine.empty() ? "io_uring" : run.engine;
  const nlohmann::json model{{"layers", p.layers}, {"hidden", p.hidden},     {"ffn", p.ffn},
                             {"heads", p.heads},   {"kv_heads", p.kv_heads}, {"vocab", p.vocab},
                             {"dtype", "fp16"},    {"optimizer", "adam"}};
  nlohmann::json save{{"name", "save"},
                      {"workload", "checkpoint"},
                      {"op", "save"},
                      {"model", model},
                      {"sizing", "dlio"},
                      {"parallel", {{"tp", p.tp}, {"pp", p.pp}, {"dp", p.dp}, {"zero", p.zero}}},
                      {"repeat", 10},
                      {"engine", {{"name", engine}}}};
  if (run.scale < 1.0) save["scale"] = run.scale;
  nlohmann::json restore = save;
  restore["name"] = "restore";
  restore["op"] = "restore";
  restore["cache"] = "cold";
  return {{"description",
           fmt::format("MLPerf Storage v3.0 checkpoint {}: 10 durable saves, 10 cold restores; "
                       "bytes x {}",
                       name, run.scale)},
          {"dir", run.dir.string()},
          {"phases", nlohmann::json::array({save, restore})}};
}

}  // namespace aistor
