#include "workloads/runner/phase_trace.hpp"

#include <fmt/format.h>
#include <vector>

#include "core/error.hpp"
#include "workloads/formats/trace_file.hpp"

namespace aistor {

void check_trace_target(const PhaseSpec& spec, unsigned processes, bool ranks) {
  if (!spec.trace) return;
  const std::string where = fmt::format("config: {}.trace", spec.path);
  if (processes > 0 || ranks) {
    throw InputError(fmt::format(
        "{}: traces are recorded for phases whose workers are threads of one process; this phase "
        "runs {}",
        where, ranks ? "one client per MPI rank" : fmt::format("{} client processes", processes)));
  }
  std::error_code ec;
  const auto st = std::filesystem::symlink_status(*spec.trace, ec);
  if (ec || st.type() == std::filesystem::file_type::not_found) return;
  if (st.type() != std::filesystem::file_type::regular) {
    throw InputError(
        fmt::format("{}: {} is there and is not a regular file", where, spec.trace->string()));
  }
  std::string head(8, '\0');
  {
    std::FILE* f = std::fopen(spec.trace->c_str(), "rb");
    if (f == nullptr) throw_errno("open", spec.trace->string());
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
  }
  if (!formats::is_aistor_trace(head)) {
    throw InputError(fmt::format(
        "{}: {} is there and is not an aistor trace; it is left alone (name another file)", where,
        spec.trace->string()));
  }
}

nlohmann::json write_phase_trace(const PhaseSpec& spec, const WorkersRan& ran,
                                 const nlohmann::json& engine) {
  std::vector<const TraceLog*> logs;
  for (const auto& t : ran.traces)
    logs.push_back(t.get());
  nlohmann::json meta{{"tool", "aistor"},
                      {"phase", spec.name},
                      {"workload", spec.workload},
                      {"engine", engine},
                      {"queue_depth", spec.engine.queue_depth},
                      {"dir", spec.dir.string()},
                      {"clock", "steady clock, ns since the phase's start"}};
  const auto trace =
      formats::merge_logs(logs, std::filesystem::absolute(spec.dir).lexically_normal(), meta);
  if (spec.trace->has_parent_path()) std::filesystem::create_directories(spec.trace->parent_path());
  formats::write_trace(*spec.trace, trace);
  return {{"path", spec.trace->string()},
          {"ops", trace.ops.size()},
          {"files", trace.files.size()},
          {"streams", trace.streams},
          {"dropped_ops", trace.dropped}};
}

}  // namespace aistor
