#include "report/report.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace aistor {

nlohmann::json make_report(const ReportParts& p) {
  return {{"schema", kReportSchema}, {"status", p.status},   {"started_at", p.started_at},
          {"wall_s", p.wall_s},      {"tool", p.tool},       {"host", p.host},
          {"targets", p.targets},    {"config", p.config},   {"config_sha256", p.config_sha256},
          {"phases", p.phases},      {"process", p.process}, {"repetitions", p.repetitions},
          {"searches", p.searches}};
}

void write_report(const std::filesystem::path& path, const nlohmann::json& report) {
  auto text = report.dump(2) + "\n";
  auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "." + string + "..." at -O2.
  std::string name = ".";
  name.append(path.filename().string()).append(".XXXXXX");
  std::string tmp = (dir / name).string();
  UniqueFd fd(::mkstemp(tmp.data()));
  if (!fd) throw_errno("mkstemp", tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::unlink(tmp.c_str());
      throw_system(err, "write", tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd.get(), 0644);
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_system(err, "write report", path.string());
  }
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
