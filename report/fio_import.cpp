#include "report/fio_import.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace aistor {
namespace {

// fio's percentile keys are "50.000000", "99.000000".
double percentile(const nlohmann::json& dir, const char* key) {
  for (const char* lat : {"lat_ns", "clat_ns"}) {
    if (dir.contains(lat) && dir[lat].contains("percentile") &&
        dir[lat]["percentile"].contains(key)) {
      return dir[lat]["percentile"][key].get<double>();
    }
  }
  return 0;
}

}  // namespace

bool is_fio_output(const nlohmann::json& j) {
  return j.is_object() && j.contains("fio version") && j.contains("jobs") && j["jobs"].is_array();
}

nlohmann::json report_from_fio(const nlohmann::json& fio) {
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& job : fio["jobs"]) {
    const std::string name = job.value("jobname", "");
    if (name.empty() || !job.contains("read") || !job.contains("write")) {
      throw InputError(fmt::format("fio output: job \"{}\" has no read/write block", name));
    }
    const auto& r = job["read"];
    const auto& w = job["write"];
    // The direction that moved bytes names the latencies; a mix takes the reads'.
    const auto& lat = r.value("io_bytes", 0.0) > 0 ? r : w;
    phases.push_back(
        {{"name", name},
         {"params", nlohmann::json::object()},
         {"status", job.value("error", 0) == 0 ? "ok" : "failed"},
         {"bytes_per_s", r.value("bw_bytes", 0.0) + w.value("bw_bytes", 0.0)},
         {"iops", r.value("iops", 0.0) + w.value("iops", 0.0)},
         {"latency_ns",
          {{"p50", percentile(lat, "50.000000")}, {"p99", percentile(lat, "99.000000")}}}});
  }
  return {{"tool", {{"name", "fio"}, {"version", fio["fio version"]}}}, {"phases", phases}};
}

}  // namespace aistor
