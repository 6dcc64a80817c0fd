#pragma once
// A block device as a benchmark target: what it is (after resolving symlinks), its size, and
// whether anything uses it — mounted, a partition of it mounted, held by device-mapper/md/bcache
// (sysfs holders), or claimed exclusively (an O_EXCL open fails with EBUSY, as it does for swap).
// aistor writes to a device only when told (--allow-device-writes) and never to one in use.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace aistor {

struct BlockDevice {
  std::filesystem::path path;       // canonical, e.g. /dev/nvme0n1
  std::uint64_t bytes = 0;          // BLKGETSIZE64
  std::vector<std::string> in_use;  // why it must not be written ("mounted at /data", ...)
};

// InputError when `path` does not name a block device; SystemError when it cannot be opened.
[[nodiscard]] BlockDevice inspect_block_device(const std::filesystem::path& path);

// Whether `path` (followed) is a block special file.
[[nodiscard]] bool is_block_device(const std::filesystem::path& path);

}  // namespace aistor
