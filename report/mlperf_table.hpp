#pragma once
// `aistor report --table mlperf`: a run of `aistor mlperf` as a submission would state it — each
// run's figures with where the bytes came from and what bound it, then the run rules.
#include <vector>

#include <nlohmann/json.hpp>

#include "report/table_render.hpp"

namespace aistor {

// Per report made by `aistor mlperf`: its runs (training: accelerators, AU, samples/s, MB/s;
// checkpoint: bytes, seconds, GB/s), each with the verdict's source and bound; then its rules.
[[nodiscard]] std::vector<Table> mlperf_tables(const std::vector<nlohmann::json>& reports);

}  // namespace aistor
