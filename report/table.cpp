#include "report/table.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <vector>

#include "core/units.hpp"
#include "report/kv_cache_table.hpp"
#include "report/packing_table.hpp"
#include "report/ranks_table.hpp"
#include "report/storm_table.hpp"
#include "report/table_render.hpp"

namespace aistor {

Table training_table(const std::vector<nlohmann::json>& reports) {
  Table t{"training",
          {{"training phase", "epochs", "samples/s", "delivered MB/s", "AU", "stall s",
            "read ampl.", "verified"}},
          1,
          0};
  auto number = [](const nlohmann::json& j, const char* key, const char* format, double scale) {
    return j.contains(key) && j[key].is_number()
               ? fmt::format(fmt::runtime(format), j[key].get<double>() * scale)
               : std::string("-");
  };
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "samples") continue;
      const auto& w = p.value("workload_metrics", nlohmann::json());
      if (!w.is_object() || !w.contains("samples")) continue;
      std::string ampl = "-";
      if (p.contains("read_amplification") && p["read_amplification"].is_number()) {
        ampl = fmt::format("{:.2f}", p["read_amplification"].get<double>());
      }
      t.rows.push_back({p.value("name", "?"),
                        fmt::format("{}/{}", w.value("epochs", nlohmann::json::array()).size(),
                                    w.value("epochs_planned", 0)),
                        number(w, "samples_per_s", "{:.0f}", 1),
                        number(w, "delivered_bytes_per_s", "{:.1f}", 1e-6),
                        number(w, "au", "{:.1f}%", 100), number(w, "stall_s", "{:.2f}", 1), ampl,
                        w.contains("verified_samples") && w["verified_samples"].is_number()
                            ? std::to_string(w["verified_samples"].get<std::uint64_t>())
                            : "-"});
    }
  }
  return t;
}

Table checkpoint_table(const std::vector<nlohmann::json>& reports) {
  Table t{"checkpoint",
          {{"checkpoint phase", "op", "bytes", "files", "write s", "durable s", "GB/s", "idle",
            "verified"}},
          2,
          1};
  for (const auto& report : reports) {
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
      t.rows.push_back(
          {p.value("name", "?"), w["op"].get<std::string>(), human_bytes(w.value("bytes", 0.0)),
           std::to_string(w.value("files", 0)), save ? seconds("write_s") : seconds("restore_s"),
           save ? seconds("time_to_durable_s") : std::string("-"),
           w.contains(rate) && w[rate].is_number()
               ? fmt::format("{:.2f}", w[rate].get<double>() / 1e9)
               : std::string("-"),
           w.contains("rhythm") && w["rhythm"].contains("idle_fraction")
               ? fmt::format("{:.1f}%", w["rhythm"]["idle_fraction"].get<double>() * 100)
               : std::string("-"),
           save ? std::string("-") : (w.value("verified", false) ? "yes" : "no")});
    }
  }
  return t;
}

// One line per search: which value of the searched key was the largest to meet the target.
Table search_table(const nlohmann::json& report) {
  Table t{"searches", {{"search", "key", "target", "best", "trials"}}, 5, 0};
  for (const auto& s : report.value("searches", nlohmann::json::array())) {
    std::string best = s["best"].is_number() ? std::to_string(s["best"].get<std::int64_t>())
                                             : "none (the first value missed)";
    if (s.value("limited_by_range", false)) best += " (the top of the range)";
    std::string trials;
    for (const auto& trial : s["trials"]) {
      if (!trials.empty()) trials += ", ";
      trials += fmt::format("{}:{}", trial["value"].get<std::int64_t>(),
                            trial["metric"].is_number()
                                ? fmt::format("{:.3g}", trial["metric"].get<double>())
                                : std::string("-"));
    }
    t.rows.push_back(
        {s.value("name", "?"), s.value("param", "?"),
         s.contains("at_most")
             ? fmt::format("{} <= {:g}", s.value("metric", "?"), s.value("at_most", 0.0))
             : fmt::format("{} >= {:g}", s.value("metric", "?"), s.value("at_least", 0.0)),
         best, trials});
  }
  return t;
}

Table model_load_table(const std::vector<nlohmann::json>& reports) {
  Table t{"model load",
          {{"model", "params", "size", "implementation", "load time", "throughput", "I/O pattern",
            "notes"}},
          4,
          2};
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
      t.rows.push_back(
          {name, fmt::format("{:.1f}B", w.value("parameters", 0.0) / 1e9),
           fmt::format("{:.1f} GB", w.value("file_bytes", 0.0) / 1e9),
           fmt::format("aistor {}, {} chunks by {}", engine_label(p["engine"]),
                       short_size(w.value("chunk_size", std::uint64_t{0})), w.value("order", "?")),
           fmt::format("{:.2f} s", p.value("duration_s", 0.0)),
           fmt::format("{:.2f} GB/s", p.value("bytes_per_s", 0.0) / 1e9),
           p["io_pattern"].value("summary", ""), notes});
    }
  }
  return t;
}

namespace {

// Where the phase's bytes came from: "storage", "page cache", "mixed 40%" (the device's share),
// "+sat" when the device was saturated.
std::string source_cell(const nlohmann::json& p) {
  if (!p.contains("verdict")) return "";
  const auto& v = p["verdict"];
  std::string cell = v.value("source", "");
  if (cell == "mixed" && v["device_share"].is_number())
    cell += fmt::format(" {:.0f}%", v["device_share"].get<double>() * 100);
  if (v.value("saturated", false)) cell += " +sat";
  return cell;
}

}  // namespace

Table phase_table(const std::vector<nlohmann::json>& reports) {
  Table t{"phases",
          {{"phase", "engine", "pattern", "MB/s", "IOPS", "p50", "p99", "resident", "from", "bound",
            "status"}},
          3,
          4};
  for (const auto& report : reports) {
    for (const auto& p : report.value("phases", nlohmann::json::array())) {
      std::string status = p.value("status", "?");
      if (p.contains("error")) status += ": " + p["error"].get<std::string>();
      if (!p.contains("bytes_per_s")) {
        t.rows.push_back({p.value("name", "?"), engine_label(p.value("engine", nlohmann::json())),
                          "", "", "", "", "", "", "", "", status});
        continue;
      }
      const auto& lat = p["latency_ns"];
      double resident =
          p.contains("cache") ? p["cache"].value("resident_fraction_before", 0.0) : 0.0;
      // A phase that starts from no files (a kv-cache's empty cache) has no residency to show.
      const bool files = !p.contains("cache") || p["cache"].value("file_bytes", 1.0) > 0;
      t.rows.push_back(
          {p.value("name", "?"), engine_label(p["engine"]), p["io_pattern"].value("summary", ""),
           fmt::format("{:.1f}", p.value("bytes_per_s", 0.0) / 1e6),
           fmt::format("{:.0f}", p.value("iops", 0.0)), human_ns(lat.value("p50", 0.0)),
           human_ns(lat.value("p99", 0.0)),
           files ? fmt::format("{:.0f}%", resident * 100) : std::string("-"), source_cell(p),
           p.contains("verdict") ? p["verdict"].value("bound", "") : "", status});
    }
  }
  return t;
}

Table repetition_table(const nlohmann::json& report) {
  Table t{"repetitions",
          {{"repeated phase", "ok", "median MB/s", "min-max MB/s", "median IOPS", "median p99"}},
          2,
          0};
  for (const auto& r : report.value("repetitions", nlohmann::json::array())) {
    std::string ok = fmt::format("{}/{}", r.value("ok", 0), r.value("repetitions", 0));
    if (!r.contains("bytes_per_s")) {
      t.rows.push_back({r.value("name", "?"), ok, "", "", "", ""});
      continue;
    }
    const auto& b = r["bytes_per_s"];
    t.rows.push_back(
        {r.value("name", "?"), ok, fmt::format("{:.1f}", b.value("median", 0.0) / 1e6),
         fmt::format("{:.1f}-{:.1f}", b.value("min", 0.0) / 1e6, b.value("max", 0.0) / 1e6),
         fmt::format("{:.0f}", r["iops"].value("median", 0.0)),
         human_ns(r["p99_ns"].value("median", 0.0))});
  }
  return t;
}

std::vector<Table> summary_tables(const nlohmann::json& report) {
  const std::vector<nlohmann::json> one{report};
  std::vector<Table> tables{phase_table(one), training_table(one), checkpoint_table(one)};
  for (auto& t : kv_cache_tables(one))
    tables.push_back(std::move(t));
  tables.push_back(model_load_table(one));
  for (auto& t : storm_tables(one, false))
    tables.push_back(std::move(t));
  for (auto& t : ranks_tables(one, false))
    tables.push_back(std::move(t));
  for (auto& t : packing_tables(one))
    tables.push_back(std::move(t));
  tables.push_back(search_table(report));
  tables.push_back(repetition_table(report));
  return tables;
}

std::string summary_table(const nlohmann::json& report) {
  const auto tables = summary_tables(report);
  std::string out = render(tables.front(), TableFormat::text);  // its header even with no phase
  for (std::size_t i = 1; i < tables.size(); ++i) {
    if (tables[i].empty()) continue;
    out += "\n";
    out += render(tables[i], TableFormat::text);
  }
  return out;
}

}  // namespace aistor
