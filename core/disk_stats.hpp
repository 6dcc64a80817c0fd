#pragma once
// The block devices beneath a directory and their kernel counters, to say where a phase's bytes
// came from: the device its filesystem sits on (a disk, a partition, a loop, dm or md device) and,
// through dm and md (`slaves/`), the member devices that hold it.
//
// find_disks(dir)      the devices under `dir`'s filesystem (or, given a block device, it and its
//                      members; fs_type "block device"): from st_dev through
//                      <sys>/dev/block/MAJ:MIN, or for a filesystem without a block device of its
//                      own (btrfs, an overlay) the source named in /proc/self/mountinfo. None for
//                      tmpfs, NFS and the like (DiskSet::why says what the filesystem is).
// read_counters(set)   each device's <dir>/stat now (sectors are 512 bytes, as the kernel counts).
// The counters are the device's, whatever process moved the bytes. `sys` is /sys except in tests,
// which build fixture trees. Errors reading a counter file throw SystemError naming the path.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace aistor {

struct DiskCounters {
  std::uint64_t read_ios = 0;
  std::uint64_t read_bytes = 0;
  std::uint64_t write_ios = 0;
  std::uint64_t write_bytes = 0;
  std::uint64_t busy_ms = 0;   // io_ticks: time with at least one request in flight
  std::uint64_t queue_ms = 0;  // time_in_queue: the sum of every request's time in flight
  [[nodiscard]] DiskCounters since(const DiskCounters& before) const;
};

struct Disk {
  std::string name;               // "nvme0n1p2", "dm-0", "md0", "loop3"
  std::filesystem::path sys_dir;  // its directory under <sys>/devices (holds `stat`)
  bool member = false;            // a member of the filesystem's device (under dm or md)
};

struct DiskSet {
  std::vector<Disk> disks;  // the filesystem's device first, then its members (leaves last)
  std::string why;          // when empty: what the filesystem is instead ("tmpfs", "nfs4", ...)
  std::string fs_type;      // from mountinfo ("" when unknown)
};

[[nodiscard]] DiskSet find_disks(const std::filesystem::path& dir,
                                 const std::filesystem::path& sys = "/sys",
                                 const std::filesystem::path& mountinfo = "/proc/self/mountinfo");

// Counters parsed from the text of a `stat` file; InputError naming `origin` when malformed.
[[nodiscard]] DiskCounters parse_disk_stat(const std::string& text, const std::string& origin);

[[nodiscard]] std::vector<DiskCounters> read_counters(const DiskSet& set);

}  // namespace aistor
