#include "workloads/common/layout.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <fmt/format.h>

#include <cerrno>

#include "core/aligned_buffer.hpp"
#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/random_bytes.hpp"
#include "core/unique_fd.hpp"
#include "core/units.hpp"
#include "engines/pump.hpp"

namespace aistor {
namespace {

std::uint64_t existing_size(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

void check_space(const std::filesystem::path& dir, std::uint64_t needed) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) throw_errno("statvfs", dir.string());
  std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (needed > free) {
    throw InputError(fmt::format("{}: not enough free space to lay out data: need {}, free {}",
                                 dir.string(), human_bytes(static_cast<double>(needed)),
                                 human_bytes(static_cast<double>(free))));
  }
}

}  // namespace

std::uint64_t lay_out(std::span<const LayoutFile> files, const std::atomic<bool>* stop) {
  std::uint64_t needed = 0;
  for (const auto& f : files) {
    auto have = existing_size(f.path);
    // Saturating: the sum of many huge files must not wrap to a size that seems to fit.
    if (have < f.size) needed = checked_add(needed, f.size - have).value_or(UINT64_MAX);
  }
  if (needed == 0) return 0;
  check_space(files.front().path.parent_path(), needed);

  constexpr std::size_t kChunk = 1 << 20;
  AlignedBuffer chunk(kChunk, 4096);
  std::uint64_t written = 0;
  for (const auto& f : files) {
    if (existing_size(f.path) >= f.size) continue;
    UniqueFd fd(::open(f.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) throw_errno("open", f.path.string());
    if (!f.fill) {
      int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(f.size));
      if (err == EOPNOTSUPP || err == EINVAL) {  // a filesystem without fallocate: size it only
        err = ::ftruncate(fd.get(), static_cast<off_t>(f.size)) == 0 ? 0 : errno;
      }
      if (err != 0) throw_system(err, "posix_fallocate", f.path.string());
      continue;
    }
    for (std::uint64_t off = 0; off < f.size; off += kChunk) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
        throw InputError(fmt::format("{}: layout interrupted", f.path.string()));
      }
      std::size_t n = std::min<std::uint64_t>(kChunk, f.size - off);
      fill_random(chunk.data(), n, f.seed ^ (off / kChunk) * 0x9e3779b97f4a7c15ULL);
      auto res = pwrite_full(fd.get(), chunk.data(), n, off);
      if (res < 0) throw_system(static_cast<int>(-res), "pwrite", f.path.string());
      written += n;
    }
    if (::fsync(fd.get()) != 0) throw_errno("fsync", f.path.string());
  }
  return written;
}

}  // namespace aistor
