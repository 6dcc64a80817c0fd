#include "core/recorder_json.hpp"

#include <cstring>

namespace aistor {
namespace {

double seconds_between(std::uint64_t a, std::uint64_t b) {
  return b > a ? static_cast<double>(b - a) / 1e9 : 0.0;
}

nlohmann::json direction_json(const DirectionStats& d, double seconds) {
  nlohmann::json sizes = nlohmann::json::object();
  for (const auto& [size, n] : d.sizes)
    sizes[std::to_string(size)] = n;
  return {{"ops", d.ops},
          {"bytes", d.bytes},
          {"bytes_per_s", seconds > 0 ? static_cast<double>(d.bytes) / seconds : 0.0},
          {"iops", seconds > 0 ? static_cast<double>(d.ops) / seconds : 0.0},
          {"latency_ns", to_json(d.latency, false)},
          {"sizes", sizes},
          {"sequential_fraction", d.sequential_fraction()},
          {"pattern", pattern_of(d)}};
}

}  // namespace

nlohmann::json to_json(const LatencyHistogram& h, bool with_buckets) {
  nlohmann::json j{{"count", h.count()},
                   {"min", h.min()},
                   {"mean", h.mean()},
                   {"stdev", h.stdev()},
                   {"p50", h.quantile(0.50)},
                   {"p90", h.quantile(0.90)},
                   {"p99", h.quantile(0.99)},
                   {"p99_9", h.quantile(0.999)},
                   {"p99_99", h.quantile(0.9999)},
                   {"max", h.max()}};
  if (with_buckets) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const auto& [lower, n] : h.buckets())
      buckets.push_back({lower, n});
    j["histogram"] = {{"bucket_lower_ns_count", buckets},
                      {"sub_buckets_per_octave", 1u << LatencyHistogram::kSubBits}};
  }
  return j;
}

nlohmann::json to_json(const Recorder& r) {
  double seconds = r.ops() ? seconds_between(r.first_submit_ns(), r.last_done_ns()) : 0.0;
  const auto& rd = r.stats(Direction::read);
  const auto& wr = r.stats(Direction::write);
  std::uint64_t seq = rd.sequential_ops + wr.sequential_ops;
  std::uint64_t issued = rd.issued_ops + wr.issued_ops;
  nlohmann::json sizes = nlohmann::json::object();
  for (const auto* d : {&rd, &wr}) {
    for (const auto& [size, n] : d->sizes) {
      auto key = std::to_string(size);
      sizes[key] = sizes.value(key, std::uint64_t{0}) + n;
    }
  }
  nlohmann::json errors{{"count", r.error_count()},
                        {"by_errno", nlohmann::json::object()},
                        {"first", nlohmann::json::array()}};
  for (const auto& [err, n] : r.errors()) {
    errors["by_errno"][std::string(strerrorname_np(err) ? strerrorname_np(err) : "E?")] = n;
  }
  for (const auto& e : r.error_details()) {
    errors["first"].push_back({{"errno", e.err},
                               {"error", std::strerror(e.err)},
                               {"op", e.dir == Direction::read ? "read" : "write"},
                               {"file", e.file},
                               {"offset", e.offset},
                               {"length", e.length},
                               {"result", e.result}});
  }
  return {{"duration_s", seconds},
          {"bytes", r.bytes()},
          {"ops", r.ops()},
          {"bytes_per_s", seconds > 0 ? static_cast<double>(r.bytes()) / seconds : 0.0},
          {"iops", seconds > 0 ? static_cast<double>(r.ops()) / seconds : 0.0},
          {"latency_ns", to_json(r.combined_latency())},
          {"read", direction_json(rd, seconds)},
          {"write", direction_json(wr, seconds)},
          {"io_pattern",
           {{"summary", r.io_pattern()},
            {"sizes", sizes},
            {"sequential_fraction",
             issued ? static_cast<double>(seq) / static_cast<double>(issued) : 0.0}}},
          {"achieved_queue_depth", r.achieved_queue_depth()},
          {"errors", errors},
          {"timeseries",
           {{"interval_s", static_cast<double>(r.interval_ns()) / 1e9},
            {"bytes", r.series_bytes()},
            {"ops", r.series_ops()}}}};
}

}  // namespace aistor
