#include "workloads/runner/phase_figures.hpp"

#include <algorithm>
#include <vector>

#include "core/median.hpp"

namespace aistor {

nlohmann::json summarize_repetitions(const PhaseSpec& spec, const nlohmann::json& phases) {
  nlohmann::json out{{"name", spec.name}, {"repetitions", spec.repeat}};
  std::vector<const nlohmann::json*> ok;
  for (const auto& p : phases) {
    if (p["name"] == spec.name && p["status"] == "ok") ok.push_back(&p);
  }
  out["ok"] = ok.size();
  if (ok.empty()) return out;
  auto figure = [&](const char* key, auto get) {
    std::vector<double> v;
    for (const auto* p : ok)
      v.push_back(get(*p));
    out[key] = {{"median", median(v)},
                {"min", *std::min_element(v.begin(), v.end())},
                {"max", *std::max_element(v.begin(), v.end())}};
  };
  figure("bytes_per_s", [](const nlohmann::json& p) { return p["bytes_per_s"].get<double>(); });
  figure("iops", [](const nlohmann::json& p) { return p["iops"].get<double>(); });
  figure("p50_ns", [](const nlohmann::json& p) { return p["latency_ns"]["p50"].get<double>(); });
  figure("p99_ns", [](const nlohmann::json& p) { return p["latency_ns"]["p99"].get<double>(); });
  return out;
}

std::optional<double> metric_at(const nlohmann::json& phase, const std::string& dotted) {
  const nlohmann::json* at = &phase;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = std::min(dotted.find('.', start), dotted.size());
    const std::string key = dotted.substr(start, dot - start);
    if (!at->is_object() || !at->contains(key)) return std::nullopt;
    at = &(*at)[key];
    start = dot + 1;
  }
  if (!at->is_number()) return std::nullopt;
  return at->get<double>();
}

}  // namespace aistor
