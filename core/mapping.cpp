#include "core/mapping.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace aistor {

Mapping map_file(const std::filesystem::path& file) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", file.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat", file.string());
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) return {};
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED) throw_errno("mmap", file.string());
  return {addr, size};
}

}  // namespace aistor
