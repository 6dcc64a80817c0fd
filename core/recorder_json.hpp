#pragma once
// The JSON form of measurements, as report/schema.json describes it. Units are in key names.
#include <nlohmann/json.hpp>

#include "core/histogram.hpp"
#include "core/recorder.hpp"

namespace aistor {

// {"min","mean","stdev","p50","p90","p99","p99_9","p99_99","max","count","histogram":[[ns,n]...]}
[[nodiscard]] nlohmann::json to_json(const LatencyHistogram& h, bool with_buckets = true);

// The measured part of a phase: duration_s, bytes, ops, bytes_per_s, iops, latency_ns,
// read/write blocks, io_pattern, achieved_queue_depth, errors, timeseries.
[[nodiscard]] nlohmann::json to_json(const Recorder& r);

}  // namespace aistor
