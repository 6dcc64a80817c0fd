#include "core/page_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/mapping.hpp"
#include "core/unique_fd.hpp"

namespace aistor {
namespace fs = std::filesystem;
namespace {

UniqueFd open_read(const fs::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", file.string());
  return fd;
}

std::uint64_t file_size(const UniqueFd& fd, const fs::path& file) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat", file.string());
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

double Residency::fraction() const {
  if (total_bytes == 0) return 1.0;
  return static_cast<double>(resident_bytes) / static_cast<double>(total_bytes);
}

// A directory stands for every regular file under it, visited as the directory lists them, so a
// tree of millions of files costs no list in memory.
template <typename F>
void each_file(const fs::path& path, F&& f) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    f(path);
    return;
  }
  fs::recursive_directory_iterator it(path, ec);
  if (ec) throw_system(ec.value(), "opendir", path.string());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) throw_system(ec.value(), "readdir", path.string());
    if (it->is_regular_file(ec)) f(it->path());
  }
}

Residency residency_of_file(const fs::path& file) {
  const UniqueFd fd = open_read(file);
  const std::uint64_t size = file_size(fd, file);
  if (size == 0) return {};  // mmap rejects a zero length

  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED) throw_errno("mmap", file.string());
  const Mapping map(addr, size);

  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t pages = (size + page - 1) / page;
  // mincore wants one byte per page; a bounded vector keeps a 1 TiB file from costing 256 MiB.
  constexpr std::uint64_t kChunkPages = 64 * 1024;
  std::vector<unsigned char> vec(std::min(pages, kChunkPages));
  std::uint64_t resident_pages = 0;
  bool last_resident = false;
  for (std::uint64_t first = 0; first < pages; first += kChunkPages) {
    const std::uint64_t count = std::min(kChunkPages, pages - first);
    if (::mincore(map.data() + first * page, count * page, vec.data()) != 0)
      throw_errno("mincore", file.string());
    for (std::uint64_t i = 0; i < count; ++i) {
      if ((vec[i] & 1U) == 0) continue;
      ++resident_pages;
      last_resident = first + i == pages - 1;
    }
  }
  std::uint64_t bytes = resident_pages * page;
  if (last_resident) bytes -= pages * page - size;
  return {bytes, size};
}

Residency residency(const fs::path& path) {
  Residency sum;
  each_file(path, [&](const fs::path& file) {
    const Residency one = residency_of_file(file);
    sum.resident_bytes += one.resident_bytes;
    sum.total_bytes += one.total_bytes;
  });
  return sum;
}

Residency residency(std::span<const fs::path> files) {
  Residency sum;
  for (const auto& file : files) {
    const Residency one = residency(file);
    sum.resident_bytes += one.resident_bytes;
    sum.total_bytes += one.total_bytes;
  }
  return sum;
}

void drop_from_cache(const fs::path& path) {
  each_file(path, [](const fs::path& file) {
    const UniqueFd fd = open_read(file);
    if (::fdatasync(fd.get()) != 0) throw_errno("fdatasync", file.string());
    if (const int err = ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED); err != 0)
      throw_system(err, "posix_fadvise(POSIX_FADV_DONTNEED)", file.string());
  });
}

bool drop_all_caches(std::string* why) {
  constexpr const char* kKnob = "/proc/sys/vm/drop_caches";
  const auto fail = [why](std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return false;
  };
  // Opening first lets an unprivileged caller fail fast, before paying for a machine-wide sync.
  UniqueFd fd(::open(kKnob, O_WRONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    std::string reason = std::string("open ") + kKnob + ": " + std::generic_category().message(err);
    if (::geteuid() != 0) reason = "not root (" + reason + ")";
    return fail(std::move(reason));
  }
  ::sync();
  ssize_t n = 0;
  do {
    n = ::write(fd.get(), "3", 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1)
    return fail(std::string("write ") + kKnob + ": " +
                (n < 0 ? std::generic_category().message(errno) : "short write"));
  return true;
}

void warm(const fs::path& path) {
  std::vector<char> buffer(std::size_t{1} << 20);
  each_file(path, [&](const fs::path& file) {
    const UniqueFd fd = open_read(file);
    (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // a hint; failure is harmless
    off_t offset = 0;
    for (;;) {
      const ssize_t n = ::pread(fd.get(), buffer.data(), buffer.size(), offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("pread", file.string());
      }
      if (n == 0) return;  // end of file, wherever it is now
      offset += n;
    }
  });
}

std::optional<ProcIo> proc_self_io() {
  std::ifstream in("/proc/self/io");
  if (!in) return std::nullopt;
  ProcIo io{};
  unsigned found = 0;
  const std::pair<std::string_view, std::uint64_t*> fields[] = {{"read_bytes", &io.read_bytes},
                                                                {"write_bytes", &io.write_bytes},
                                                                {"rchar", &io.rchar},
                                                                {"wchar", &io.wchar}};
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string_view key(line.data(), colon);
    auto value = std::string_view(line).substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
    for (const auto& [name, target] : fields) {
      if (key != name) continue;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *target);
      if (ec != std::errc()) return std::nullopt;
      ++found;
    }
  }
  if (found != std::size(fields)) return std::nullopt;
  return io;
}

}  // namespace aistor
