#include "workloads/runner/rank_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "workloads/common/completion_tails.hpp"

namespace aistor {

nlohmann::json rank_rows(const ClientRun& run) {
  nlohmann::json rows = nlohmann::json::array();
  std::vector<double> finishes;
  for (const auto& c : run.clients) {
    const bool ok = c.error.empty() && c.io_failed_workers == 0;
    nlohmann::json row{{"rank", c.rank},
                       {"host", c.host},
                       {"pid", c.pid},
                       {"status", ok ? "ok" : "failed"},
                       {"clock_offset_ns", c.clock_offset_ns},
                       {"clock_rtt_ns", c.clock_rtt_ns},
                       {"released_s", since(run.start_ns, c.released_ns)},
                       {"first_submit_s", since(run.start_ns, c.first_submit_ns)},
                       {"finish_s", since(run.start_ns, c.last_done_ns)},
                       {"bytes", c.bytes},
                       {"ops", c.ops}};
    if (!c.error.empty()) {
      row["error"] = c.error;
    } else if (!ok) {
      row["error"] = fmt::format("rank {}: {} of its workers ended on an I/O error (errors.first)",
                                 c.rank, c.io_failed_workers);
    }
    const double busy = seconds_between(c.first_submit_ns, c.last_done_ns);
    row["bytes_per_s"] = busy > 0 ? static_cast<double>(c.bytes) / busy : 0.0;
    row["storage_read_bytes"] =
        c.storage_read_bytes ? nlohmann::json(*c.storage_read_bytes) : nlohmann::json(nullptr);
    row["storage_write_bytes"] =
        c.storage_write_bytes ? nlohmann::json(*c.storage_write_bytes) : nlohmann::json(nullptr);
    row["workload_metrics"] = c.metrics;
    if (ok && row["finish_s"].is_number()) finishes.push_back(row["finish_s"].get<double>());
    rows.push_back(std::move(row));
  }
  nlohmann::json out{{"ranks", run.clients.size()}, {"completed", finishes.size()}};
  std::sort(finishes.begin(), finishes.end());
  if (!finishes.empty()) {
    const double median = nearest_rank(finishes, 0.5);
    out["first_done_s"] = finishes.front();
    out["last_done_s"] = finishes.back();
    out["straggler_ratio"] = median > 0 ? finishes.back() / median : 0.0;
  }
  out["slowest"] = slowest_and_hosts(rows, out);
  out["rows"] = std::move(rows);
  return out;
}

}  // namespace aistor
