#pragma once
// fio's JSON output (--output-format=json) in the shape of an aistor report, so compare can set
// an aistor phase beside a fio job: one phase per job, named by its jobname, with bytes_per_s and
// iops (read + write), and latency_ns p50/p99 from the total latency percentiles (lat_ns, when
// fio ran with lat_percentiles=1) or else the completion latency's (clat_ns).
#include <nlohmann/json.hpp>

namespace aistor {

// Whether `j` looks like fio's JSON output ("fio version" and "jobs").
[[nodiscard]] bool is_fio_output(const nlohmann::json& j);

// Throws InputError naming the job when a field compare needs is missing.
[[nodiscard]] nlohmann::json report_from_fio(const nlohmann::json& fio);

}  // namespace aistor
