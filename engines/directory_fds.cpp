#include "engines/directory_fds.hpp"

#include <fcntl.h>

#include <cerrno>
#include <string_view>

namespace aistor {

int DirectoryFds::open(const std::filesystem::path& path, int flags) {
  const std::string& p = path.native();
  const auto slash = p.rfind('/');
  // A bare name, the root's entries, or a path ending in '/' (a directory): nothing to cache.
  if (slash == std::string::npos || slash == 0 || slash + 1 == p.size()) {
    return ::open(p.c_str(), flags);
  }
  const std::string_view dir(p.data(), slash);
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) {
    const std::string d(dir);
    UniqueFd fd(::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return ::open(p.c_str(), flags);  // errno: the plain open's
    if (dirs_.size() >= kMaxDirectories) dirs_.clear();
    it = dirs_.emplace(d, std::move(fd)).first;
  }
  return ::openat(it->second.get(), p.c_str() + slash + 1, flags);
}

}  // namespace aistor
