#include "report/report.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "core/durable_file.hpp"

namespace aistor {

nlohmann::json make_report(const ReportParts& p) {
  return {{"schema", kReportSchema},
          {"status", to_string(p.status)},
          {"started_at", p.started_at},
          {"wall_s", p.wall_s},
          {"tool", p.tool},
          {"host", p.host},
          {"targets", p.targets},
          {"config", p.config},
          {"config_sha256", p.config_sha256},
          {"phases", p.phases},
          {"process", p.process},
          {"repetitions", p.repetitions},
          {"searches", p.searches}};
}

void write_report(const std::filesystem::path& path, const nlohmann::json& report) {
  write_file_durably(path, report.dump(2) + "\n");
}

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace aistor
