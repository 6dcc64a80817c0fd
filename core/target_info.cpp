#include "core/target_info.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace aistor {
namespace fs = std::filesystem;
namespace {

struct Mount {
  std::string point;
  std::string fstype;
  std::string source;
  std::string options;
};

std::string trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(kSpace) - first + 1));
}

std::optional<std::string> read_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return trim(line);
}

std::optional<std::int64_t> read_int(const fs::path& file) {
  const auto text = read_line(file);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape(std::string_view s) {
  const auto octal = [&](std::size_t k) { return s[k] >= '0' && s[k] <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string merge_options(std::string_view mount_opts, std::string_view super_opts) {
  std::vector<std::string> seen;
  std::string out;
  for (const auto list : {mount_opts, super_opts}) {
    std::istringstream in{std::string(list)};
    for (std::string opt; std::getline(in, opt, ',');) {
      if (opt.empty() || std::find(seen.begin(), seen.end(), opt) != seen.end()) continue;
      seen.push_back(opt);
      if (!out.empty()) out += ',';
      out += opt;
    }
  }
  return out;
}

bool contains(std::string_view mount_point, std::string_view path) {
  if (mount_point == "/") return true;
  return path.starts_with(mount_point) &&
         (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

// The mount whose point is the longest prefix of `canonical`; among equal points the last listed,
// since a later mount on the same point hides the earlier ones.
std::optional<Mount> mount_containing(const std::string& canonical) {
  std::ifstream in("/proc/self/mountinfo");
  std::optional<Mount> best;
  for (std::string line; std::getline(in, line);) {
    // id parent major:minor root point options [optional...] - fstype source super-options
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string word; fields >> word;)
      f.push_back(word);
    const auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || f.end() - dash < 3) continue;
    Mount m{unescape(f[4]), unescape(*(dash + 1)), unescape(*(dash + 2)),
            merge_options(f[5], dash + 3 < f.end() ? *(dash + 3) : std::string())};
    if (!contains(m.point, canonical)) continue;
    if (!best || m.point.size() >= best->point.size()) best = std::move(m);
  }
  return best;
}

// The sysfs directory of a block device number, or nullopt if it is not one (tmpfs, overlay and
// btrfs give anonymous device numbers).
std::optional<fs::path> sysfs_block(dev_t dev) {
  std::error_code ec;
  auto dir = fs::canonical(
      fs::path("/sys/dev/block") / (std::to_string(major(dev)) + ":" + std::to_string(minor(dev))),
      ec);
  if (ec) return std::nullopt;
  return dir;
}

// The block device under a path: its st_dev, else the mount's source when that is a block
// special file (btrfs reports an anonymous st_dev for a real disk).
std::optional<fs::path> sysfs_block_for(dev_t dev, const std::optional<Mount>& mount) {
  if (auto dir = sysfs_block(dev)) return dir;
  struct stat st {};
  if (mount && mount->source.starts_with('/') && ::stat(mount->source.c_str(), &st) == 0 &&
      S_ISBLK(st.st_mode))
    return sysfs_block(st.st_rdev);
  return std::nullopt;
}

// Queue attributes and the device model live on the whole disk, not the partition.
fs::path whole_disk(const fs::path& block) {
  std::error_code ec;
  return fs::exists(block / "partition", ec) ? block.parent_path() : block;
}

std::string realpath_of(const fs::path& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr),
                                                       &std::free);
  if (!resolved) throw_errno("realpath", path.string());
  return resolved.get();
}

nlohmann::json model(const fs::path& disk) {
  if (auto m = read_line(disk / "device/model"); m && !m->empty()) return *m;
  std::error_code ec;
  const auto driver = fs::read_symlink(disk / "device/driver", ec).filename().string();
  if (!ec && driver.starts_with("virtio")) return "virtio";
  if (auto v = read_line(disk / "device/vendor"); v && !v->empty()) return *v;
  return nullptr;
}

// NVMe controllers keep it in firmware_rev, SCSI and SATA disks in rev; virtio has none.
nlohmann::json firmware(const fs::path& disk) {
  for (const char* f : {"device/firmware_rev", "device/rev"}) {
    if (auto v = read_line(disk / f); v && !v->empty()) return *v;
  }
  return nullptr;
}

nlohmann::json scheduler(const fs::path& disk) {
  // "none [mq-deadline] kyber bfq"; a device with a single choice may print it unbracketed.
  const auto line = read_line(disk / "queue/scheduler");
  if (!line || line->empty()) return nullptr;
  const auto open = line->find('[');
  const auto close = line->find(']', open);
  if (open != std::string::npos && close != std::string::npos)
    return line->substr(open + 1, close - open - 1);
  if (line->find(' ') == std::string::npos) return *line;
  return nullptr;
}

std::optional<std::uint32_t> logical_block_size(const std::optional<fs::path>& block) {
  if (!block) return std::nullopt;
  const auto size = read_int(whole_disk(*block) / "queue/logical_block_size");
  if (!size || *size <= 0 || *size > UINT32_MAX) return std::nullopt;
  return static_cast<std::uint32_t>(*size);
}

nlohmann::json dio_json(const fs::path& path) {
  const auto dio = dio_alignment(path);
  if (!dio) return nullptr;
  return {{"mem", dio->mem}, {"offset", dio->offset}, {"source", dio->source}};
}

// The disk fields of a whole disk or partition's sysfs directory.
void disk_fields(const std::optional<fs::path>& block, nlohmann::json& info) {
  const auto disk = block ? std::optional<fs::path>(whole_disk(*block)) : std::nullopt;
  info["device"] = disk ? nlohmann::json(disk->filename().string()) : nlohmann::json(nullptr);
  info["partition"] =
      block && disk != block ? nlohmann::json(block->filename().string()) : nlohmann::json(nullptr);
  info["model"] = disk ? model(*disk) : nlohmann::json(nullptr);
  info["firmware"] = disk ? firmware(*disk) : nlohmann::json(nullptr);
  const auto rotational = disk ? read_int(*disk / "queue/rotational") : std::nullopt;
  info["rotational"] = rotational ? nlohmann::json(*rotational != 0) : nlohmann::json(nullptr);
  info["scheduler"] = disk ? scheduler(*disk) : nlohmann::json(nullptr);
  info["read_ahead_kb"] = or_null(disk ? read_int(*disk / "queue/read_ahead_kb") : std::nullopt);
  info["logical_block_size"] = or_null(logical_block_size(block));
}

// A block device given itself (a raw phase's `device`): no filesystem, its own size.
nlohmann::json block_device_info(const std::string& canonical, dev_t rdev, nlohmann::json& info) {
  info["block_device"] = true;
  for (const char* key : {"filesystem", "mount_point", "mount_options", "mount_source"})
    info[key] = nullptr;
  const auto block = sysfs_block(rdev);
  disk_fields(block, info);
  info["dio_alignment"] = dio_json(canonical);
  const auto sectors = block ? read_int(*block / "size") : std::nullopt;  // 512-byte units
  info["free_bytes"] = nullptr;
  info["total_bytes"] = sectors ? nlohmann::json(static_cast<std::uint64_t>(*sectors) * 512)
                                : nlohmann::json(nullptr);
  return info;
}

}  // namespace

std::optional<DioAlignment> dio_alignment(const fs::path& path) {
  struct statx stx {};
  fs::path probed = path;
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_DIOALIGN, &stx) != 0) {
    if (errno != ENOENT) throw_errno("statx", path.string());
    probed = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (::statx(AT_FDCWD, probed.c_str(), 0, STATX_DIOALIGN, &stx) != 0)
      throw_errno("statx", probed.string());
  }
  if ((stx.stx_mask & STATX_DIOALIGN) != 0) {
    // The filesystem answered: zero means this file cannot be opened with O_DIRECT.
    if (stx.stx_dio_mem_align == 0 || stx.stx_dio_offset_align == 0) return std::nullopt;
    return DioAlignment{stx.stx_dio_mem_align, stx.stx_dio_offset_align, "statx"};
  }
  const dev_t dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
  std::optional<std::uint32_t> lbs = logical_block_size(sysfs_block(dev));
  if (!lbs) lbs = logical_block_size(sysfs_block_for(dev, mount_containing(realpath_of(probed))));
  if (!lbs) return std::nullopt;
  return DioAlignment{*lbs, *lbs, "logical_block_size"};
}

nlohmann::json target_info(const fs::path& dir) {
  const std::string canonical = realpath_of(dir);
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) throw_errno("stat", canonical);

  nlohmann::json info = {{"path", canonical}};
  if (S_ISBLK(st.st_mode)) return block_device_info(canonical, st.st_rdev, info);
  const auto mount = mount_containing(canonical);
  info["filesystem"] = mount ? nlohmann::json(mount->fstype) : nlohmann::json(nullptr);
  info["mount_point"] = mount ? nlohmann::json(mount->point) : nlohmann::json(nullptr);
  info["mount_options"] = mount ? nlohmann::json(mount->options) : nlohmann::json(nullptr);
  info["mount_source"] = mount ? nlohmann::json(mount->source) : nlohmann::json(nullptr);

  disk_fields(sysfs_block_for(st.st_dev, mount), info);
  info["dio_alignment"] = dio_json(canonical);

  struct statvfs vfs {};
  const bool have_vfs = ::statvfs(canonical.c_str(), &vfs) == 0;
  info["free_bytes"] = have_vfs ? nlohmann::json(std::uint64_t{vfs.f_bavail} * vfs.f_frsize)
                                : nlohmann::json(nullptr);
  info["total_bytes"] = have_vfs ? nlohmann::json(std::uint64_t{vfs.f_blocks} * vfs.f_frsize)
                                 : nlohmann::json(nullptr);
  return info;
}

}  // namespace aistor
