#include <fmt/format.h>

#include "core/config_node.hpp"
#include "workloads/samples/samples_workload.hpp"

namespace aistor {

SamplesParams SamplesWorkload::parse(ConfigNode& phase) {
  SamplesParams p;
  if (phase.has("dataset") == phase.has("path")) {
    phase.fail("dataset",
               "give exactly one of \"dataset\" (generated, or reused when it exists) and \"path\" "
               "(an existing dataset, file or directory)");
  }
  if (phase.has("dataset")) {
    ConfigNode d = phase.object("dataset");
    p.dataset = formats::parse_dataset_spec(d);
  } else {
    p.path = phase.string("path", std::nullopt);
  }
  p.epochs = static_cast<unsigned>(phase.integer("epochs", 1, 1, 1'000'000));
  p.batch_size = static_cast<std::uint32_t>(phase.integer("batch_size", 32, 1, 1 << 24));
  p.drop_last = phase.boolean("drop_last", false);
  p.shuffle = *parse_shuffle(phase.choice("shuffle", "global", {"global", "files", "none"}));
  p.seed = static_cast<std::uint64_t>(phase.integer("seed", 1, 0));
  p.read_threads = static_cast<unsigned>(phase.integer("read_threads", 1, 1, 1024));
  p.accelerators = static_cast<unsigned>(phase.integer("accelerators", 1, 1, 4096));
  p.prefetch = static_cast<unsigned>(phase.integer("prefetch", 2 * p.read_threads, 1, 1 << 20));
  p.compute = ComputeTime::parse(phase, "compute");
  p.verify = phase.boolean("verify", false);
  if (p.verify && !p.dataset) {
    // Known before the run: only aistor's samples carry the id and checksum verify checks.
    std::error_code ec;
    if (std::filesystem::exists(p.path, ec) && !formats::read_manifest(p.path)) {
      phase.fail("verify", fmt::format("{} is not an aistor dataset (no {}): its samples carry no "
                                       "id and checksum to verify",
                                       p.path.string(), formats::kManifestName));
    }
  }
  if (phase.has("epoch_residency")) p.epoch_residency = phase.boolean("epoch_residency", true);
  if (p.dataset && p.drop_last && p.dataset->samples < p.batch_size) {
    phase.fail("drop_last", fmt::format("with {} samples and batch_size {} no batch is left",
                                        p.dataset->samples, p.batch_size));
  }
  return p;
}

}  // namespace aistor
