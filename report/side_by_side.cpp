#include "report/side_by_side.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/median.hpp"
#include "core/units.hpp"

namespace aistor {
namespace {

// What names a target, in the order a label lists it.
constexpr const char* kTargetFields[] = {"model", "device", "filesystem", "mount_point", "path"};

std::string target_field(const nlohmann::json& report, const char* field) {
  const auto& targets = report.value("targets", nlohmann::json::array());
  if (!targets.is_array() || targets.empty() || !targets[0].is_object()) return "?";
  const auto& v = targets[0].value(field, nlohmann::json());
  return v.is_string() ? v.get<std::string>() : "?";
}

struct Figures {
  std::vector<double> bytes_per_s, p99_ns;
};

// The ok phases of a report by name (repetitions pooled).
std::map<std::string, Figures> figures_by_phase(const nlohmann::json& report) {
  std::map<std::string, Figures> out;
  for (const auto& p : report.value("phases", nlohmann::json::array())) {
    if (p.value("status", "") != "ok" || !p.contains("bytes_per_s")) continue;
    auto& f = out[p.value("name", "?")];
    f.bytes_per_s.push_back(p["bytes_per_s"].get<double>());
    if (p.contains("latency_ns") && p["latency_ns"].contains("p99"))
      f.p99_ns.push_back(p["latency_ns"]["p99"].get<double>());
  }
  return out;
}

}  // namespace

std::vector<std::string> target_labels(const std::vector<nlohmann::json>& reports) {
  std::vector<std::string> labels(reports.size());
  for (const char* field : kTargetFields) {
    std::vector<std::string> values;
    for (const auto& r : reports)
      values.push_back(target_field(r, field));
    if (std::all_of(values.begin(), values.end(), [&](const auto& v) { return v == values[0]; }))
      continue;
    for (std::size_t i = 0; i < reports.size(); ++i)
      labels[i] += (labels[i].empty() ? "" : " ") + values[i];
  }
  return labels;
}

Table side_by_side_table(const std::vector<nlohmann::json>& reports) {
  Table t{"side by side", {{"phase"}}, 1, 0};
  const auto labels = target_labels(reports);
  if (reports.size() < 2 || labels[0].empty()) return t;
  for (const auto& l : labels)
    t.rows[0].push_back(l + " MB/s");
  for (std::size_t i = 1; i < labels.size(); ++i)
    t.rows[0].push_back(fmt::format("{} / {}", labels[i], labels[0]));
  for (const auto& l : labels)
    t.rows[0].push_back(l + " p99");

  std::vector<std::map<std::string, Figures>> figures;
  for (const auto& r : reports)
    figures.push_back(figures_by_phase(r));
  std::vector<std::string> names;  // in the order the reports ran them
  for (const auto& r : reports) {
    for (const auto& p : r.value("phases", nlohmann::json::array())) {
      const auto name = p.value("name", "?");
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  for (const auto& name : names) {
    std::vector<std::string> row{name};
    std::vector<double> rate(reports.size(), -1);
    std::vector<std::string> p99(reports.size(), "-");
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const auto it = figures[i].find(name);
      if (it == figures[i].end()) continue;
      rate[i] = median(it->second.bytes_per_s);
      if (!it->second.p99_ns.empty()) p99[i] = human_ns(median(it->second.p99_ns));
    }
    for (double r : rate)
      row.push_back(r < 0 ? "-" : fmt::format("{:.1f}", r / 1e6));
    for (std::size_t i = 1; i < rate.size(); ++i)
      row.push_back(rate[i] < 0 || rate[0] <= 0 ? "-" : fmt::format("{:.2f}x", rate[i] / rate[0]));
    row.insert(row.end(), p99.begin(), p99.end());
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace aistor
