#include "core/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "core/error.hpp"

namespace aistor {
namespace {

std::string holder_text(int fd) {
  char buf[256] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  for (char& c : s)
    if (c < 0x20 || c >= 0x7f) c = '?';
  return s.empty() ? "a process that has not said who it is" : s;
}

}  // namespace

DirLock::DirLock(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_system(ec.value(), "create directory", dir.string());
  const auto path = dir / kDirLockName;
  fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd_) throw_errno("open", path.string());
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw_errno("flock", path.string());
    throw InputError(
        fmt::format("{}: in use by another aistor run ({}); wait for it to end or "
                    "give this run another --dir",
                    dir.string(), holder_text(fd_.get())));
  }
  char host[256] = {};
  (void)::gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32] = {};
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const std::string who = fmt::format("pid {} on {}, since {}\n", ::getpid(), host, when);
  // Who holds it, for the message a second run prints; the lock itself is the flock.
  if (::ftruncate(fd_.get(), 0) == 0) {
    (void)::pwrite(fd_.get(), who.data(), who.size(), 0);
  }
}

std::string mpi_launcher_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    const char* v = std::getenv(name);
    if (v == nullptr) continue;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (end != v && n > 1) return fmt::format("{}={}", name, v);
  }
  return {};
}

}  // namespace aistor
