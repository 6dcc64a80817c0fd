#include "report/table.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <vector>

#include "core/units.hpp"
#include "report/storm_table.hpp"
#include "report/table_render.hpp"

namespace aistor {
namespace {

// The samples workload's own headline figures, one row per phase that has them.
std::string training_table(const nlohmann::json& report) {
  std::vector<std::vector<std::string>> rows{{"training phase", "epochs", "samples/s",
                                              "delivered MB/s", "AU", "stall s", "read ampl.",
                                              "verified"}};
  auto number = [](const nlohmann::json& j, const char* key, const char* format, double scale) {
    return j.contains(key) && j[key].is_number()
               ? fmt::format(fmt::runtime(format), j[key].get<double>() * scale)
               : std::string("-");
  };
  for (const auto& p : report.value("phases", nlohmann::json::array())) {
    if (p.value("workload", "") != "samples") continue;
    const auto& w = p.value("workload_metrics", nlohmann::json());
    if (!w.is_object() || !w.contains("samples")) continue;
    std::string ampl = "-";
    if (p.contains("read_amplification") && p["read_amplification"].is_number()) {
      ampl = fmt::format("{:.2f}", p["read_amplification"].get<double>());
    }
    rows.push_back({p.value("name", "?"),
                    fmt::format("{}/{}", w.value("epochs", nlohmann::json::array()).size(),
                                w.value("epochs_planned", 0)),
                    number(w, "samples_per_s", "{:.0f}", 1),
                    number(w, "delivered_bytes_per_s", "{:.1f}", 1e-6),
                    number(w, "au", "{:.1f}%", 100), number(w, "stall_s", "{:.2f}", 1), ampl,
                    w.contains("verified_samples") && w["verified_samples"].is_number()
                        ? std::to_string(w["verified_samples"].get<std::uint64_t>())
                        : "-"});
  }
  std::string out;
  if (rows.size() > 1) {
    out = "\n";  // appended, not "\n" + ...: GCC 12 warns falsely (-Wrestrict) on that form
    out += render_table(rows, 1, 0);
  }
  return out;
}

// The checkpoint workload's figures: time to durable for saves, restore time and verification.
std::string checkpoint_table(const nlohmann::json& report) {
  std::vector<std::vector<std::string>> rows{{"checkpoint phase", "op", "bytes", "files", "write s",
                                              "durable s", "GB/s", "idle", "verified"}};
  for (const auto& p : report.value("phases", nlohmann::json::array())) {
    if (p.value("workload", "") != "checkpoint") continue;
    const auto& w = p.value("workload_metrics", nlohmann::json());
    if (!w.is_object() || !w.contains("op")) continue;
    const bool save = w["op"] == "save";
    auto seconds = [&](const char* key) {
      return w.contains(key) && w[key].is_number() ? fmt::format("{:.3f}", w[key].get<double>())
                                                   : std::string("-");
    };
    const char* rate = save ? "durable_bytes_per_s" : "restore_bytes_per_s";
    rows.push_back({p.value("name", "?"), w["op"].get<std::string>(),
                    human_bytes(w.value("bytes", 0.0)), std::to_string(w.value("files", 0)),
                    save ? seconds("write_s") : seconds("restore_s"),
                    save ? seconds("time_to_durable_s") : std::string("-"),
                    w.contains(rate) && w[rate].is_number()
                        ? fmt::format("{:.2f}", w[rate].get<double>() / 1e9)
                        : std::string("-"),
                    w.contains("rhythm") && w["rhythm"].contains("idle_fraction")
                        ? fmt::format("{:.1f}%", w["rhythm"]["idle_fraction"].get<double>() * 100)
                        : std::string("-"),
                    save ? std::string("-") : (w.value("verified", false) ? "yes" : "no")});
  }
  std::string out;
  if (rows.size() > 1) {
    out = "\n";
    out += render_table(rows, 2, 1);
  }
  return out;
}

// One line per search: which value of the searched key was the largest to meet the target.
std::string search_table(const nlohmann::json& report) {
  std::vector<std::vector<std::string>> rows{{"search", "key", "target", "best", "trials"}};
  for (const auto& s : report.value("searches", nlohmann::json::array())) {
    std::string best = s["best"].is_number() ? std::to_string(s["best"].get<std::int64_t>())
                                             : "none (the first value missed)";
    if (s.value("limited_by_range", false)) best += " (the top of the range)";
    std::string trials;
    for (const auto& t : s["trials"]) {
      if (!trials.empty()) trials += ", ";
      trials +=
          fmt::format("{}:{}", t["value"].get<std::int64_t>(),
                      t["metric"].is_number() ? fmt::format("{:.3g}", t["metric"].get<double>())
                                              : std::string("-"));
    }
    rows.push_back({s.value("name", "?"), s.value("param", "?"),
                    fmt::format("{} >= {:g}", s.value("metric", "?"), s.value("at_least", 0.0)),
                    best, trials});
  }
  std::string out;
  if (rows.size() > 1) {
    out = "\n";
    out += render_table(rows, 5, 0);
  }
  return out;
}

}  // namespace

std::string model_load_table(const std::vector<nlohmann::json>& reports) {
  std::vector<std::vector<std::string>> rows{{"model", "params", "size", "implementation",
                                              "load time", "throughput", "I/O pattern", "notes"}};
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "model-load" || !p.contains("bytes_per_s")) continue;
      const auto& w = p.value("workload_metrics", nlohmann::json());
      if (!w.is_object()) continue;
      const double resident =
          p.contains("cache") ? p["cache"].value("resident_fraction_before", 0.0) : 0.0;
      std::string name = p.value("name", "?");
      name = name.substr(0, name.find('['));  // the matrix cell is in "implementation"
      std::string notes = fmt::format("{}, {} resident", w.value("format", "?"),
                                      fmt::format("{:.0f}%", resident * 100));
      if (w.contains("first_tensor_s") && w["first_tensor_s"].is_number()) {
        notes += fmt::format(", first tensor {:.3f} s", w["first_tensor_s"].get<double>());
      }
      if (p.contains("read_amplification") && p["read_amplification"].is_number()) {
        notes += fmt::format(", read amplification {:.2f}", p["read_amplification"].get<double>());
      }
      rows.push_back(
          {name, fmt::format("{:.1f}B", w.value("parameters", 0.0) / 1e9),
           fmt::format("{:.1f} GB", w.value("file_bytes", 0.0) / 1e9),
           fmt::format("aistor {}, {} chunks by {}", engine_label(p["engine"]),
                       short_size(w.value("chunk_size", std::uint64_t{0})), w.value("order", "?")),
           fmt::format("{:.2f} s", p.value("duration_s", 0.0)),
           fmt::format("{:.2f} GB/s", p.value("bytes_per_s", 0.0) / 1e9),
           p["io_pattern"].value("summary", ""), notes});
    }
  }
  return rows.size() > 1 ? render_table(rows, 4, 2) : std::string();
}

std::string summary_table(const nlohmann::json& report) {
  std::vector<std::vector<std::string>> rows{
      {"phase", "engine", "pattern", "MB/s", "IOPS", "p50", "p99", "resident", "status"}};
  for (const auto& p : report.value("phases", nlohmann::json::array())) {
    std::string status = p.value("status", "?");
    if (p.contains("error")) status += ": " + p["error"].get<std::string>();
    if (!p.contains("bytes_per_s")) {
      rows.push_back({p.value("name", "?"), engine_label(p.value("engine", nlohmann::json())), "",
                      "", "", "", "", "", status});
      continue;
    }
    const auto& lat = p["latency_ns"];
    double resident = p.contains("cache") ? p["cache"].value("resident_fraction_before", 0.0) : 0.0;
    rows.push_back(
        {p.value("name", "?"), engine_label(p["engine"]), p["io_pattern"].value("summary", ""),
         fmt::format("{:.1f}", p.value("bytes_per_s", 0.0) / 1e6),
         fmt::format("{:.0f}", p.value("iops", 0.0)), human_ns(lat.value("p50", 0.0)),
         human_ns(lat.value("p99", 0.0)), fmt::format("{:.0f}%", resident * 100), status});
  }
  std::string out = render_table(rows, 3, 2);
  out += training_table(report);
  out += checkpoint_table(report);
  if (auto models = model_load_table({report}); !models.empty()) {
    out += "\n";
    out += models;
  }
  if (auto storms = storm_table({report}, false); !storms.empty()) {
    out += "\n";
    out += storms;
  }
  out += search_table(report);
  const auto reps = report.value("repetitions", nlohmann::json::array());
  if (!reps.empty()) {
    std::vector<std::vector<std::string>> summary{
        {"repeated phase", "ok", "median MB/s", "min-max MB/s", "median IOPS", "median p99"}};
    for (const auto& r : reps) {
      std::string ok = fmt::format("{}/{}", r.value("ok", 0), r.value("repetitions", 0));
      if (!r.contains("bytes_per_s")) {
        summary.push_back({r.value("name", "?"), ok, "", "", "", ""});
        continue;
      }
      const auto& b = r["bytes_per_s"];
      summary.push_back(
          {r.value("name", "?"), ok, fmt::format("{:.1f}", b.value("median", 0.0) / 1e6),
           fmt::format("{:.1f}-{:.1f}", b.value("min", 0.0) / 1e6, b.value("max", 0.0) / 1e6),
           fmt::format("{:.0f}", r["iops"].value("median", 0.0)),
           human_ns(r["p99_ns"].value("median", 0.0))});
    }
    out += "\n" + render_table(summary, 2, 0);
  }
  return out;
}

}  // namespace aistor
