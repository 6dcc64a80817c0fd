#include "workloads/common/completion_tails.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace aistor {

double seconds_between(std::uint64_t from, std::uint64_t to) {
  return to > from ? static_cast<double>(to - from) / 1e9 : 0.0;
}

nlohmann::json since(std::uint64_t start, std::uint64_t at) {
  return at >= start && at > 0 ? nlohmann::json(static_cast<double>(at - start) / 1e9)
                               : nlohmann::json(nullptr);
}

double nearest_rank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

nlohmann::json slowest_and_hosts(const nlohmann::json& rows, nlohmann::json& out) {
  nlohmann::json slowest;
  std::map<std::string, std::vector<double>> by_host;
  for (const auto& r : rows) {
    if (r["status"] != "ok" || !r["finish_s"].is_number()) continue;
    by_host[r["host"].get<std::string>()].push_back(r["finish_s"].get<double>());
    if (slowest.is_null() || r["finish_s"].get<double>() > slowest["finish_s"].get<double>()) {
      slowest = nlohmann::json::object();
      for (const char* key : {"client", "rank", "host", "finish_s"}) {
        if (r.contains(key)) slowest[key] = r[key];
      }
    }
  }
  nlohmann::json hosts = nlohmann::json::array();
  for (auto& [host, done] : by_host) {
    std::sort(done.begin(), done.end());
    hosts.push_back({{"host", host},
                     {"clients", done.size()},
                     {"completion_s",
                      {{"min", done.front()},
                       {"p50", nearest_rank(done, 0.5)},
                       {"p99", nearest_rank(done, 0.99)},
                       {"max", done.back()}}}});
  }
  out["hosts"] = hosts;
  return slowest;
}

}  // namespace aistor
