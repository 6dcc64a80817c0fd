#include "engines/mmap_engine.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace aistor {
namespace {

int advice_of(Madvise m) {
  switch (m) {
    case Madvise::sequential:
      return MADV_SEQUENTIAL;
    case Madvise::random:
      return MADV_RANDOM;
    case Madvise::willneed:
      return MADV_WILLNEED;
    case Madvise::normal:
    case Madvise::none:
      break;
  }
  return MADV_NORMAL;
}

}  // namespace

FileId MmapEngine::open(const std::filesystem::path& path, Access access) {
  bool writable = access != Access::read;
  UniqueFd fd(dirs_.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (!fd) throw_errno("open", path.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat", path.string());
  Mapping map;
  if (st.st_size > 0) {
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    int flags = MAP_SHARED | (config_.populate ? MAP_POPULATE : 0);
    auto length = static_cast<std::size_t>(st.st_size);
    void* addr = ::mmap(nullptr, length, prot, flags, fd.get(), 0);
    if (addr == MAP_FAILED) throw_errno("mmap", path.string());
    map = Mapping(addr, length);
    if (config_.madvise != Madvise::none &&
        ::madvise(addr, length, advice_of(config_.madvise)) != 0) {
      throw_errno("madvise", path.string());
    }
  }
  // Closed slots are reused, so opening and closing a file per sample keeps the table small.
  File f{std::move(fd), std::move(map), path, writable};
  auto slot = std::find_if(files_.begin(), files_.end(), [](const File& g) { return !g.fd; });
  if (slot != files_.end()) {
    *slot = std::move(f);
    return static_cast<FileId>(slot - files_.begin());
  }
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

std::int64_t MmapEngine::execute(const IoRequest& r) noexcept {
  if (r.file >= files_.size() || !files_[r.file].fd) return -EBADF;
  File& f = files_[r.file];
  if (r.offset >= f.map.size()) return 0;
  std::size_t n = std::min<std::uint64_t>(r.length, f.map.size() - r.offset);
  std::byte* at = f.map.data() + r.offset;
  if (r.op == Op::write) {
    if (!f.writable) return -EBADF;
    std::memcpy(at, r.buf, n);
  } else if (config_.touch) {
    // Fault every page in without copying; the sum keeps the loads from being optimised away.
    unsigned sum = 0;
    for (std::size_t i = 0; i < n; i += 4096)
      sum += static_cast<unsigned>(at[i]);
    r.buf[0] = static_cast<std::byte>(sum);
  } else {
    std::memcpy(r.buf, at, n);
  }
  return static_cast<std::int64_t>(n);
}

void MmapEngine::sync(FileId file) {
  if (file >= files_.size() || !files_[file].fd) throw_system(EBADF, "msync");
  File& f = files_[file];
  if (f.map.size() > 0 && ::msync(f.map.data(), f.map.size(), MS_SYNC) != 0) {
    throw_errno("msync", f.path);
  }
}

void MmapEngine::close(FileId file) {
  if (file >= files_.size()) return;
  files_[file].map.reset();
  files_[file].fd.reset();
}

EngineInfo mmap_engine_info() {
  return {"mmap",
          "copy out of (or into) a shared mapping; madvise, populate, touch options",
          {"madvise", "populate", "touch"},
          true,
          [](const std::filesystem::path&) {
            return Availability{true, ""};
          },
          [](const EngineConfig& c) -> std::unique_ptr<Engine> {
            return std::make_unique<MmapEngine>(c);
          }};
}

}  // namespace aistor
