#pragma once
// Opens files relative to a descriptor of their directory (openat), kept open for the next file
// of the same directory: a workload that opens a file per sample across a dataset tree makes the
// kernel look up one name per open instead of walking every component of the path each time.
// What is opened is the same file a plain open(2) of the path would open, as long as the
// directories on its path are not renamed or replaced while the engine is in use.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/unique_fd.hpp"

namespace aistor {

class DirectoryFds {
 public:
  // open(2) of `path` with `flags` (O_CREAT is not supported): the new descriptor, or -1 with
  // errno set. A directory that cannot be opened (O_PATH) falls back to the plain open.
  [[nodiscard]] int open(const std::filesystem::path& path, int flags);

 private:
  // Looked up by the path's directory part without making a string of it.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  static constexpr std::size_t kMaxDirectories = 1024;  // then the cache starts over
  std::unordered_map<std::string, UniqueFd, Hash, std::equal_to<>> dirs_;
};

}  // namespace aistor
