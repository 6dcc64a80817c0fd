#include "engines/fadvise.hpp"

#include <fcntl.h>

#include "core/error.hpp"

namespace aistor {

void apply_fadvise(int fd, Madvise advice, const std::filesystem::path& path) {
  int a = POSIX_FADV_NORMAL;
  switch (advice) {
    case Madvise::none:
      return;
    case Madvise::normal:
      break;
    case Madvise::sequential:
      a = POSIX_FADV_SEQUENTIAL;
      break;
    case Madvise::random:
      a = POSIX_FADV_RANDOM;
      break;
    case Madvise::willneed:
      a = POSIX_FADV_WILLNEED;
      break;
  }
  if (int err = ::posix_fadvise(fd, 0, 0, a); err != 0)
    throw_system(err, "posix_fadvise", path.string());
}

}  // namespace aistor
