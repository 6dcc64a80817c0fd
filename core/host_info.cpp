#include "core/host_info.hpp"

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace aistor {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n";

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(kWhitespace) - first + 1));
}

// The value of the first "key<sep>value" line of a file whose trimmed key equals `key`.
std::optional<std::string> field(const char* file, std::string_view key, char sep) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto pos = line.find(sep);
    if (pos == std::string::npos || trim(std::string_view(line).substr(0, pos)) != key) continue;
    return trim(std::string_view(line).substr(pos + 1));
  }
  return std::nullopt;
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

std::string kernel() {
  struct utsname u {};
  if (::uname(&u) != 0) return "unknown";
  return u.release;
}

std::string os_name() {
  // os-release(5) lists /etc first and /usr/lib as the fallback.
  for (const char* file : {"/etc/os-release", "/usr/lib/os-release"}) {
    auto value = field(file, "PRETTY_NAME", '=');
    if (!value) continue;
    if (value->size() >= 2 && (value->front() == '"' || value->front() == '\'') &&
        value->back() == value->front())
      *value = value->substr(1, value->size() - 2);
    if (!value->empty()) return *value;
  }
  return "unknown";
}

std::string cpu_model() {
  // x86 says "model name"; some arm64 kernels only say "Hardware" or nothing at all.
  for (const char* key : {"model name", "Hardware", "cpu model"}) {
    auto value = field("/proc/cpuinfo", key, ':');
    if (value && !value->empty()) return *value;
  }
  return "unknown";
}

nlohmann::json cores() {
  if (const unsigned n = std::thread::hardware_concurrency(); n > 0) return n;
  if (const long n = ::sysconf(_SC_NPROCESSORS_ONLN); n > 0) return n;
  return nullptr;
}

nlohmann::json memory_bytes() {
  struct sysinfo si {};
  if (::sysinfo(&si) == 0 && si.totalram > 0)
    return std::uint64_t{si.totalram} * std::uint64_t{si.mem_unit};
  if (auto kib = field("/proc/meminfo", "MemTotal", ':')) {
    try {
      return std::stoull(*kib) * 1024;  // "16318084 kB"
    } catch (const std::exception&) {
    }
  }
  return nullptr;
}

}  // namespace

nlohmann::json host_info() {
  return {{"hostname", hostname()},   {"kernel", kernel()}, {"os", os_name()},
          {"cpu_model", cpu_model()}, {"cores", cores()},   {"memory_bytes", memory_bytes()}};
}

}  // namespace aistor
