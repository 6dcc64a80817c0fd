#include "workloads/runner/phase_verdict.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <string>

namespace aistor {
namespace {

double number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

struct Source {
  std::string verdict = "unknown";
  double share = -1;  // < 0: not known
  bool saturated = false;
  double busy = 0;
  std::string why;
};

Source source_of(const nlohmann::json& phase) {
  Source s;
  const double delivered = number(phase, "bytes");
  const auto& dev = phase.contains("devices") ? phase["devices"] : nlohmann::json();
  const auto disks =
      dev.is_object() ? dev.value("disks", nlohmann::json::array()) : nlohmann::json::array();
  const std::string fs = dev.is_object() ? dev.value("fs_type", "") : "";
  if (disks.empty()) {
    if (fs == "tmpfs" || fs == "ramfs") {
      s.verdict = "page cache";
      s.share = 0;
      s.why = fmt::format("{}: memory, no device", fs);
    } else {
      s.why = dev.is_object() ? dev.value("why", "no device counters") : "no device counters";
    }
    return s;
  }
  const auto& top = disks.front();
  double queue = 0;
  for (const auto& d : disks) {
    if (!d.value("member", false) && disks.size() > 1) continue;  // judged on the members
    if (number(d, "busy_fraction") >= s.busy) {
      s.busy = number(d, "busy_fraction");
      queue = number(d, "avg_queue");
    }
  }
  s.saturated = s.busy >= 0.95 && queue >= 2;
  if (delivered <= 0) {
    s.why = "the phase moved no bytes";
    return s;
  }
  // Each direction counted as far as the workload moved bytes that way: a read phase is not
  // credited with the writeback of what its layout wrote.
  const double reads = phase.contains("read") ? number(phase["read"], "bytes") : delivered;
  const double writes = phase.contains("write") ? number(phase["write"], "bytes") : 0.0;
  const double moved =
      std::min(number(top, "read_bytes"), reads) + std::min(number(top, "write_bytes"), writes);
  s.share = std::min(1.0, moved / delivered);
  s.verdict = s.share >= 0.9 ? "storage" : s.share < 0.1 ? "page cache" : "mixed";
  s.why = fmt::format("{} moved {:.0f}% of the {:.0f} bytes delivered", top.value("name", "?"),
                      moved / delivered * 100, delivered);
  return s;
}

}  // namespace

nlohmann::json device_figures(const DiskSet& set, const std::vector<DiskCounters>& before,
                              const std::vector<DiskCounters>& after, double wall_s) {
  nlohmann::json j{{"fs_type", set.fs_type}, {"disks", nlohmann::json::array()}};
  if (!set.why.empty()) j["why"] = set.why;
  const double wall_ms = wall_s * 1e3;
  for (std::size_t i = 0; i < set.disks.size() && i < before.size() && i < after.size(); ++i) {
    const DiskCounters d = after[i].since(before[i]);
    j["disks"].push_back(
        {{"name", set.disks[i].name},
         {"member", set.disks[i].member},
         {"read_bytes", d.read_bytes},
         {"write_bytes", d.write_bytes},
         {"read_ios", d.read_ios},
         {"write_ios", d.write_ios},
         {"busy_s", static_cast<double>(d.busy_ms) / 1e3},
         {"busy_fraction",
          wall_ms > 0 ? std::min(1.0, static_cast<double>(d.busy_ms) / wall_ms) : 0.0},
         {"avg_queue", wall_ms > 0 ? static_cast<double>(d.queue_ms) / wall_ms : 0.0}});
  }
  return j;
}

nlohmann::json phase_verdict(const nlohmann::json& phase, unsigned cores) {
  const Source s = source_of(phase);
  const double wall = number(phase, "duration_s");
  const double workers = std::max(1.0, number(phase, "workers"));
  const double cpu =
      wall > 0 ? (number(phase["cpu"], "user_s") + number(phase["cpu"], "sys_s")) / wall : 0.0;
  const double usable = std::min(workers, static_cast<double>(std::max(1u, cores)));
  const double slots = workers * std::max(1.0, number(phase, "queue_depth"));
  const double in_flight = number(phase, "achieved_queue_depth");
  const nlohmann::json& w =
      phase.contains("workload_metrics") ? phase["workload_metrics"] : nlohmann::json();
  const bool has_au = w.is_object() && w.contains("au") && w["au"].is_number();
  const double au = has_au ? w["au"].get<double>() : 0.0;
  const double compute = wall > 0 ? number(w, "compute_s") / (wall * workers) : 0.0;

  std::string bound = "unknown";
  std::string why;
  if ((has_au && au >= 0.9) || compute >= 0.5) {
    bound = "think time";
    why = has_au
              ? fmt::format("accelerators busy {:.0f}% of the time", au * 100)
              : fmt::format("simulated compute filled {:.0f}% of the workers' time", compute * 100);
  } else if (s.saturated && s.verdict != "page cache") {
    bound = "device";
    why = fmt::format("the device was busy {:.0f}% of the phase", s.busy * 100);
  } else if (cpu >= 0.85 * usable) {
    bound = "client CPU";
    why = fmt::format("{:.2f} of {:.0f} usable cores busy", cpu, usable);
  } else if (in_flight >= 0.9 * slots) {
    bound = "queue depth";
    why =
        fmt::format("{:.1f} of {:.0f} slots in flight, the device not saturated", in_flight, slots);
  } else {
    why = fmt::format("cores {:.2f}/{:.0f}, in flight {:.1f}/{:.0f}, device busy {:.0f}%", cpu,
                      usable, in_flight, slots, s.busy * 100);
  }
  nlohmann::json j{{"source", s.verdict},
                   {"device_share", s.share >= 0 ? nlohmann::json(s.share) : nlohmann::json()},
                   {"saturated", s.saturated},
                   {"bound", bound},
                   {"why", s.why.empty() ? why : s.why + "; " + why},
                   {"figures",
                    {{"device_busy", s.busy},
                     {"cpu_cores", cpu},
                     {"cores", cores},
                     {"workers", workers},
                     {"in_flight", in_flight},
                     {"slots", slots}}}};
  if (has_au) j["figures"]["au"] = au;
  // The busiest worker thread's share of a core: one worker pinned at a core is a bound the
  // process's total hides when the machine has many cores.
  if (wall > 0 && phase.contains("cpu") && phase["cpu"].contains("workers_s")) {
    double busiest = 0;
    for (const auto& worker : phase["cpu"]["workers_s"])
      busiest = std::max(busiest, worker.get<double>() / wall);
    j["figures"]["busiest_worker_cpu"] = busiest;
  }
  if (compute > 0) j["figures"]["compute_share"] = compute;
  return j;
}

}  // namespace aistor
