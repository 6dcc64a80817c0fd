#pragma once
// What a benchmark's target directory (or file) lives on, for the report and for engines.
//
// target_info(path) returns a JSON object:
//   "path"               absolute, symlinks resolved
//   "filesystem"         type from /proc/self/mountinfo ("ext4", "xfs", "tmpfs", "overlay", ...)
//   "mount_point", "mount_source" ("/dev/vda", "tmpfs", ...), "mount_options" (per-mount then
//                        superblock options, comma-separated, without repeats)
//   "device"             the whole-disk block device name ("vda", "nvme0n1", "dm-0"); a partition
//                        is resolved to its disk, whose name "partition" then gives ("nvme0n1p2")
//   "model"              device/model, else "virtio" for virtio disks, else device/vendor
//   "rotational" (bool), "scheduler" (the active one), "read_ahead_kb", "logical_block_size"
//   "dio_alignment"      {"mem", "offset", "source"} as dio_alignment() gives it
//   "free_bytes"         space an unprivileged writer may use (statvfs f_bavail * f_frsize)
//   "total_bytes"        statvfs f_blocks * f_frsize
// For a block device itself (a raw phase's `device`): "block_device": true, the filesystem and
// mount fields and "free_bytes" null, its disk fields, "total_bytes" the device's size.
// Any value that cannot be found (no block device, as on tmpfs; a missing sysfs attribute) is
// null. Throws SystemError only when the path itself cannot be resolved or stat'ed.
//
// dio_alignment(path) gives the buffer-address and file-offset alignment O_DIRECT needs there:
// from statx(STATX_DIOALIGN) when the filesystem reports it (source "statx"; kernels >= 6.1 on
// ext4/xfs/f2fs/block devices, and only for regular files), else the logical block size of the
// underlying device for both (source "logical_block_size"). nullopt when neither is known, or when
// statx says the file does not support O_DIRECT. For a path that does not exist yet, its parent
// directory is probed. Throws SystemError when neither the path nor its parent exists.
//
// Both read /proc and /sys afresh on each call; thread-safe.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace aistor {

struct DioAlignment {
  std::uint32_t mem;     // buffer address alignment, bytes
  std::uint32_t offset;  // file offset and length alignment, bytes
  std::string source;    // "statx" or "logical_block_size"
};

[[nodiscard]] nlohmann::json target_info(const std::filesystem::path& dir);

[[nodiscard]] std::optional<DioAlignment> dio_alignment(const std::filesystem::path& path);

}  // namespace aistor
