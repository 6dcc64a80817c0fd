#include "report/metric_export.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <map>

#include "core/median.hpp"

namespace aistor {
namespace {

struct Measure {
  const char* slug;  // BMF measure, gab and OpenMetrics name part
  const char* unit;  // gab's unit
  bool bigger;       // bigger is better
  double (*get)(const nlohmann::json&);
};

double num(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

const Measure kMeasures[] = {
    {"bytes-per-second", "bytes/s", true,
     [](const nlohmann::json& p) { return num(p, "bytes_per_s"); }},
    {"iops", "ops/s", true, [](const nlohmann::json& p) { return num(p, "iops"); }},
    {"latency-p50", "ns", false,
     [](const nlohmann::json& p) { return num(p["latency_ns"], "p50"); }},
    {"latency-p99", "ns", false,
     [](const nlohmann::json& p) { return num(p["latency_ns"], "p99"); }},
};

// The report's phases, by reference (never a copy: callers keep pointers into them).
const nlohmann::json& phases_of(const nlohmann::json& report) {
  static const nlohmann::json none = nlohmann::json::array();
  const auto it = report.find("phases");
  return it != report.end() && it->is_array() ? *it : none;
}

bool measured(const nlohmann::json& p) {
  return p.is_object() && p.value("status", "") == "ok" && p.contains("bytes_per_s") &&
         p.contains("latency_ns");
}

std::string engine_name(const nlohmann::json& p) {
  return p.contains("engine") && p["engine"].is_object() ? p["engine"].value("name", "") : "";
}

// Each phase name's ok runs, in the order the names first appear (repetitions together).
std::vector<std::pair<std::string, std::vector<const nlohmann::json*>>> by_name(
    const std::vector<nlohmann::json>& reports) {
  std::vector<std::pair<std::string, std::vector<const nlohmann::json*>>> out;
  std::map<std::string, std::size_t> index;
  for (const auto& r : reports) {
    for (const auto& p : phases_of(r)) {
      if (!measured(p)) continue;
      const std::string name = p.value("name", "?");
      auto [it, added] = index.try_emplace(name, out.size());
      if (added) out.push_back({name, {}});
      out[it->second].second.push_back(&p);
    }
  }
  return out;
}

struct Spread {
  double value, low, high;
};

Spread spread(const std::vector<const nlohmann::json*>& runs, const Measure& m) {
  std::vector<double> v;
  for (const auto* p : runs)
    v.push_back(m.get(*p));
  return {median(v), *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}

// OpenMetrics label values escape backslash, double quote and newline.
std::string label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string number(double v) {
  return fmt::format("{}", v);
}

}  // namespace

std::string export_bmf(const std::vector<nlohmann::json>& reports) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, runs] : by_name(reports)) {
    nlohmann::json measures = nlohmann::json::object();
    for (const auto& m : kMeasures) {
      const Spread s = spread(runs, m);
      nlohmann::json v{{"value", s.value}};
      if (runs.size() > 1) {
        v["lower_value"] = s.low;
        v["upper_value"] = s.high;
      }
      measures[m.slug] = v;
    }
    out[name] = measures;
  }
  return out.dump(2) + "\n";
}

std::string export_gab(const std::vector<nlohmann::json>& reports, bool bigger_is_better) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, runs] : by_name(reports)) {
    for (const auto& m : kMeasures) {
      if (m.bigger != bigger_is_better) continue;
      const Spread s = spread(runs, m);
      nlohmann::json e{
          {"name", fmt::format("{} {}", name, m.slug)}, {"unit", m.unit}, {"value", s.value}};
      if (runs.size() > 1) e["range"] = fmt::format("{}-{}", number(s.low), number(s.high));
      e["extra"] = fmt::format("{} runs; engine {}", runs.size(), engine_name(*runs.front()));
      out.push_back(e);
    }
  }
  return out.dump(2) + "\n";
}

std::string export_openmetrics(const std::vector<nlohmann::json>& reports) {
  struct Family {
    const char* name;
    const char* help;
    double (*get)(const nlohmann::json&);
  };
  static const Family families[] = {
      {"aistor_phase_throughput_bytes_per_second", "Bytes moved per second over the phase.",
       [](const nlohmann::json& p) { return num(p, "bytes_per_s"); }},
      {"aistor_phase_iops", "Operations completed per second.",
       [](const nlohmann::json& p) { return num(p, "iops"); }},
      {"aistor_phase_latency_p50_seconds", "Median operation latency.",
       [](const nlohmann::json& p) { return num(p["latency_ns"], "p50") / 1e9; }},
      {"aistor_phase_latency_p99_seconds", "99th percentile operation latency.",
       [](const nlohmann::json& p) { return num(p["latency_ns"], "p99") / 1e9; }},
      {"aistor_phase_duration_seconds", "The phase's measured duration.",
       [](const nlohmann::json& p) { return num(p, "duration_s"); }},
      {"aistor_phase_bytes", "Bytes the phase moved.",
       [](const nlohmann::json& p) { return num(p, "bytes"); }},
  };
  std::string out;
  for (const auto& f : families) {
    out += fmt::format("# TYPE {} gauge\n# HELP {} {}\n", f.name, f.name, f.help);
    for (const auto& r : reports) {
      for (const auto& p : phases_of(r)) {
        if (!measured(p)) continue;
        out +=
            fmt::format("{}{{phase=\"{}\",workload=\"{}\",engine=\"{}\",repetition=\"{}\"}} {}\n",
                        f.name, label(p.value("name", "?")), label(p.value("workload", "")),
                        label(engine_name(p)), p.value("repetition", 0), number(f.get(p)));
      }
    }
  }
  return out + "# EOF\n";
}

std::string export_csv_raw(const std::vector<nlohmann::json>& reports) {
  std::string out =
      "phase,repetition,workload,engine,status,duration_s,bytes,read_bytes,write_bytes,"
      "bytes_per_s,iops,latency_p50_ns,latency_p99_ns,latency_p999_ns,latency_max_ns,"
      "achieved_queue_depth,source,device_share,bound\n";
  for (const auto& r : reports) {
    for (const auto& p : phases_of(r)) {
      if (!p.is_object()) continue;
      const bool m = p.contains("bytes_per_s") && p.contains("latency_ns");
      auto f = [&](double v) { return m ? number(v) : std::string(); };
      const nlohmann::json& lat = m ? p["latency_ns"] : nlohmann::json();
      const nlohmann::json& v = p.contains("verdict") ? p["verdict"] : nlohmann::json::object();
      const bool share = v.contains("device_share") && v["device_share"].is_number();
      out += fmt::format(
          "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv(p.value("name", "?")),
          p.value("repetition", 0), csv(p.value("workload", "")), csv(engine_name(p)),
          csv(p.value("status", "")), f(num(p, "duration_s")), f(num(p, "bytes")),
          f(p.contains("read") ? num(p["read"], "bytes") : 0),
          f(p.contains("write") ? num(p["write"], "bytes") : 0), f(num(p, "bytes_per_s")),
          f(num(p, "iops")), f(num(lat, "p50")), f(num(lat, "p99")), f(num(lat, "p99_9")),
          f(num(lat, "max")), f(num(p, "achieved_queue_depth")), csv(v.value("source", "")),
          share ? number(v["device_share"].get<double>()) : "", csv(v.value("bound", "")));
    }
  }
  return out;
}

}  // namespace aistor
