#include "cuda/udev_entry.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fmt/format.h>

namespace aistor::cuda {

std::string missing_udev_entry(const std::filesystem::path& file,
                               const std::filesystem::path& udev_data) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "";
  const auto entry = udev_data / fmt::format("b{}:{}", major(st.st_dev), minor(st.st_dev));
  std::error_code ec;
  return std::filesystem::exists(entry, ec) ? "" : entry.string();
}

}  // namespace aistor::cuda
