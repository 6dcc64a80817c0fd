#include "core/block_device.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace aistor {
namespace fs = std::filesystem;
namespace {

std::string dev_string(dev_t d) {
  return fmt::format("{}:{}", major(d), minor(d));
}

// The device numbers ("M:m") of a disk's partitions, by name, from sysfs.
std::vector<std::pair<std::string, std::string>> partitions(const fs::path& sys) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sys, ec)) {
    if (!fs::exists(e.path() / "partition", ec)) continue;
    std::ifstream in(e.path() / "dev");
    std::string dev;
    if (in >> dev) out.emplace_back(e.path().filename().string(), dev);
  }
  return out;
}

void holders(const fs::path& sys, const std::string& what, std::vector<std::string>& in_use) {
  std::error_code ec;
  for (const auto& h : fs::directory_iterator(sys / "holders", ec))
    in_use.push_back(fmt::format("{} held by {}", what, h.path().filename().string()));
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool is_block_device(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

BlockDevice inspect_block_device(const fs::path& path) {
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) throw InputError(fmt::format("{}: {}", path.string(), ec.message()));
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) throw_errno("stat", real.string());
  if (!S_ISBLK(st.st_mode)) {
    throw InputError(fmt::format("{}: not a block device", path.string()));
  }
  BlockDevice d;
  d.path = real;
  {
    UniqueFd fd(::open(real.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open", real.string());
    if (::ioctl(fd.get(), BLKGETSIZE64, &d.bytes) != 0)
      throw_errno("ioctl BLKGETSIZE64", real.string());
  }

  // Mounted: the device or one of its partitions is the source of a mount.
  const std::string self = dev_string(st.st_rdev);
  const fs::path sys = fs::path("/sys/dev/block") / self;
  auto parts = partitions(fs::canonical(sys, ec));
  std::ifstream mounts("/proc/self/mountinfo");
  for (std::string line; std::getline(mounts, line);) {
    // id parent major:minor root point options [optional...] - fstype source super-options
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;)
      f.push_back(w);
    if (f.size() < 5) continue;
    const std::string point = unescape(f[4]);
    std::string source;
    for (std::size_t i = 5; i + 2 < f.size(); ++i) {
      if (f[i] == "-") source = unescape(f[i + 2]);
    }
    std::error_code sec;
    const bool same_source =
        !source.empty() && source.starts_with('/') && fs::canonical(source, sec) == real;
    if (f[2] == self || same_source) d.in_use.push_back(fmt::format("mounted at {}", point));
    for (const auto& [name, dev] : parts) {
      if (f[2] == dev) d.in_use.push_back(fmt::format("partition {} mounted at {}", name, point));
    }
  }
  holders(sys, "it is", d.in_use);
  for (const auto& [name, dev] : parts)
    holders(fs::path("/sys/dev/block") / dev, "partition " + name + " is", d.in_use);
  // Anything else that claimed it exclusively (swap, a filesystem mounted elsewhere).
  if (d.in_use.empty()) {
    UniqueFd fd(::open(real.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
    if (!fd && errno == EBUSY) d.in_use.push_back("claimed by another user (O_EXCL open: EBUSY)");
  }
  return d;
}

}  // namespace aistor
