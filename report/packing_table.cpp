#include "report/packing_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

namespace aistor {
namespace {

struct Pack {
  const nlohmann::json* phase;
  const nlohmann::json* metrics;
};

std::string dataset_name(const nlohmann::json& source) {
  const auto d = source.value("dataset", nlohmann::json());
  if (d.is_object()) {
    const std::string preset = d.value("preset", "");
    const double scale = d.value("scale", 1.0);
    std::string name = preset == "openwebtext" ? "OpenWebText"
                       : preset == "imagenet"  ? "ImageNet-1K"
                                               : fmt::format("{} samples", d.value("samples", 0));
    if (!preset.empty() && scale < 1.0) name += fmt::format(" ×{:g}", scale);
    return name;
  }
  return source.value("path", "?");
}

std::string format_name(const std::string& f) {
  if (f == "arrow") return "Arrow";
  if (f == "raw") return "Raw";
  if (f == "tfrecord") return "TFRecord";
  if (f == "ffrecord") return "FFRecord";
  return f;
}

std::string rate(double bytes_per_s) {
  return bytes_per_s >= 1e9 ? fmt::format("{:.2f} GB/s", bytes_per_s / 1e9)
                            : fmt::format("{:.0f} MB/s", bytes_per_s / 1e6);
}

std::string seconds(double s) {
  return s >= 10 ? fmt::format("{:.0f} s", s) : fmt::format("{:.2f} s", s);
}

// j[key], or null when j is not an object or lacks it.
nlohmann::json field(const nlohmann::json& j, const char* key) {
  return j.is_object() ? j.value(key, nlohmann::json()) : nlohmann::json();
}

std::string source_path(const Pack& p) {
  return field(*p.metrics, "source").value("path", "");
}

bool ok(const nlohmann::json& p) {
  return p.value("status", "") == "ok";
}

// The fastest ok raw phase that only read (or only wrote), sequentially.
std::optional<double> raw_sequential(const std::vector<nlohmann::json>& reports, bool reads) {
  std::optional<double> best;
  for (const auto& r : reports) {
    for (const auto& p : r.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "raw" || !ok(p) || !p.contains("bytes_per_s")) continue;
      const auto& mine = p.value(reads ? "read" : "write", nlohmann::json());
      const auto& other = p.value(reads ? "write" : "read", nlohmann::json());
      if (!mine.is_object() || mine.value("ops", 0) == 0 || other.value("ops", 0) != 0) continue;
      if (mine.value("sequential_fraction", 0.0) < 0.9) continue;
      best = std::max(best.value_or(0.0), p["bytes_per_s"].get<double>());
    }
  }
  return best;
}

// The fastest ok raw phase that read and wrote about as much as each other (a 50/50 mix): what the
// device carries in both directions at once, reads and writes together.
std::optional<double> raw_both_ways(const std::vector<nlohmann::json>& reports) {
  std::optional<double> best;
  for (const auto& r : reports) {
    for (const auto& p : r.value("phases", nlohmann::json::array())) {
      if (p.value("workload", "") != "raw" || !ok(p) || !p.contains("bytes_per_s")) continue;
      auto bytes = [&](const char* side) {
        const auto b = field(field(p, side), "bytes");
        return b.is_number() ? b.get<double>() : 0.0;
      };
      const double read = bytes("read"), written = bytes("write");
      if (read <= 0 || written <= 0) continue;
      const double share = read / (read + written);
      if (share < 0.4 || share > 0.6) continue;
      best = std::max(best.value_or(0.0), p["bytes_per_s"].get<double>());
    }
  }
  return best;
}

}  // namespace

std::vector<Table> packing_tables(const std::vector<nlohmann::json>& reports) {
  std::vector<Pack> packs, read_only;
  for (const auto& r : reports) {
    if (!r.is_object() || !r.contains("phases") || !r.at("phases").is_array()) continue;
    for (const auto& p : r.at("phases")) {  // the Packs point into the reports themselves
      if (!p.is_object() || p.value("workload", "") != "pack" || !ok(p)) continue;
      if (!p.contains("workload_metrics") || !p.contains("bytes_per_s")) continue;
      const auto& w = p.at("workload_metrics");
      if (!w.is_object() || !w.contains("source")) continue;
      (w.value("read_only", false) ? read_only : packs).push_back({&p, &w});
    }
  }
  Table t{"packing",
          {{"dataset", "from", "to", "time", "throughput", "read only", "I/O pattern"}},
          3,
          1};
  const auto seq_read = raw_sequential(reports, true);
  const auto seq_write = raw_sequential(reports, false);
  const auto both_ways = raw_both_ways(reports);
  // A pack reads and writes its payload: on a device that carries `both_ways` bytes/s reading and
  // writing at once, it packs at most half that ("of r+w/2").
  Table device{"packing against the device",
               {{"dataset", "from", "to", "packing", "pack I/O", "seq read", "seq write",
                 "r+w at once", "of min", "of r+w/2", "goal ≥ 0.8"}},
               3,
               1};
  // A read-only pass over the same source, by the same read engine when there is one.
  auto read_time = [&](const Pack& p) -> std::string {
    const Pack* best = nullptr;
    for (const auto& q : read_only) {
      if (source_path(q) != source_path(p)) continue;
      if (best == nullptr || field(*q.phase, "engine") == field(*p.phase, "engine")) best = &q;
    }
    return best ? seconds(best->metrics->value("elapsed_s", 0.0)) : "";
  };
  auto row_of = [&](const Pack& p, bool is_read_only) {
    const auto& w = *p.metrics;
    const std::string to =
        is_read_only ? "(read only)" : format_name(field(w, "target").value("format", "?"));
    std::string pattern = field(*p.phase, "io_pattern").value("summary", "");
    std::string engines = engine_label(field(*p.phase, "engine"));
    if (!is_read_only) engines += " → " + engine_label(w.value("write_engine", nlohmann::json()));
    t.rows.push_back(
        {dataset_name(field(w, "source")), format_name(field(w, "source").value("format", "?")), to,
         seconds(w.value("elapsed_s", 0.0)), rate(w.value("throughput_bytes_per_s", 0.0)),
         is_read_only ? seconds(w.value("elapsed_s", 0.0)) : read_time(p),
         fmt::format("{} ({})", pattern, engines)});
    if (is_read_only || !seq_read || !seq_write) return;
    const double pack = w.value("throughput_bytes_per_s", 0.0);
    const double floor = std::min(*seq_read, *seq_write);
    const double of = floor > 0 ? pack / floor : 0.0;
    // "pack I/O": the bytes it read and wrote together, per second (what the device carried).
    device.rows.push_back(
        {t.rows.back()[0], t.rows.back()[1], to, rate(pack),
         rate(p.phase->value("bytes_per_s", 0.0)), rate(*seq_read), rate(*seq_write),
         both_ways ? rate(*both_ways) : "", fmt::format("{:.2f}", of),
         both_ways && *both_ways > 0 ? fmt::format("{:.2f}", pack / (*both_ways / 2)) : "",
         of >= 0.8 ? "met" : "missed"});
  };
  for (const auto& p : packs)
    row_of(p, false);
  // A read-only pass that no pack row used stands as its own row.
  for (const auto& q : read_only) {
    const bool used = std::any_of(packs.begin(), packs.end(),
                                  [&](const Pack& p) { return source_path(p) == source_path(q); });
    if (!used) row_of(q, true);
  }
  return {t, device};
}

}  // namespace aistor
