#pragma once
// Runs set side by side by what they ran on: when reports differ by target (two SSDs, two
// filesystems), one row per phase name with each target's median MB/s, its ratio to the first
// report's, and each target's median p99.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// A report's label from the target fields (model, device, filesystem, mount point, path) in
// which the reports differ; "" for every report when they do not differ.
[[nodiscard]] std::vector<std::string> target_labels(const std::vector<nlohmann::json>& reports);

// Empty (header only) when fewer than two reports or their targets do not differ.
[[nodiscard]] Table side_by_side_table(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
