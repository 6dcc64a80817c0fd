#include "core/free_space.hpp"

#include <sys/statvfs.h>

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/units.hpp"

namespace aistor {

void require_free_space(const std::filesystem::path& dir, std::uint64_t bytes,
                        std::string_view what) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) throw_errno("statvfs", dir.string());
  const std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const std::uint64_t headroom = std::max<std::uint64_t>(64 << 20, bytes / 100);
  if (free < bytes + headroom) {
    throw InputError(fmt::format(
        "{}: not enough free space for {}: {} plus {} headroom needed, {} free", dir.string(), what,
        human_bytes(static_cast<double>(bytes)), human_bytes(static_cast<double>(headroom)),
        human_bytes(static_cast<double>(free))));
  }
}

}  // namespace aistor
