#include "core/disk_stats.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace aistor {
namespace {

struct Mount {
  unsigned major = 0;
  unsigned minor = 0;
  std::string point;
  std::string fs_type;
  std::string source;
};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(std::stoi(oct, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<Mount> read_mounts(const std::filesystem::path& mountinfo) {
  std::vector<Mount> out;
  std::ifstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string id, parent, dev, root, point, options, w;
    if (!(words >> id >> parent >> dev >> root >> point >> options)) continue;
    while (words >> w && w != "-") {
    }
    Mount m;
    if (!(words >> m.fs_type >> m.source)) continue;
    m.point = unescape(point);
    m.source = unescape(m.source);
    const auto colon = dev.find(':');
    if (colon == std::string::npos) continue;
    std::from_chars(dev.data(), dev.data() + colon, m.major);
    std::from_chars(dev.data() + colon + 1, dev.data() + dev.size(), m.minor);
    out.push_back(std::move(m));
  }
  return out;
}

bool under(const std::string& path, const std::string& point) {
  if (point == "/") return true;
  return path == point || (path.starts_with(point) && path[point.size()] == '/');
}

// The mount `dir` lies on: the longest mount point above it, one of the device's when any is.
const Mount* mount_of(const std::vector<Mount>& mounts, const std::string& dir, dev_t dev) {
  const Mount* best = nullptr;
  for (int pass = 0; pass < 2 && best == nullptr; ++pass) {
    for (const auto& m : mounts) {
      if (pass == 0 && (m.major != ::major(dev) || m.minor != ::minor(dev))) continue;
      if (!under(dir, m.point)) continue;
      if (best == nullptr || m.point.size() >= best->point.size()) best = &m;
    }
  }
  return best;
}

std::optional<std::filesystem::path> device_dir(const std::filesystem::path& sys, unsigned major,
                                                unsigned minor) {
  std::error_code ec;
  const auto link = sys / "dev" / "block" / fmt::format("{}:{}", major, minor);
  auto dir = std::filesystem::canonical(link, ec);
  if (ec || !std::filesystem::exists(dir / "stat", ec)) return std::nullopt;
  return dir;
}

// The leaves beneath `dir` through slaves/ (dm, md), each once.
void add_members(const std::filesystem::path& dir, std::set<std::filesystem::path>& seen,
                 std::vector<Disk>& out, int depth) {
  std::error_code ec;
  const auto slaves = dir / "slaves";
  if (depth > 16 || !std::filesystem::is_directory(slaves, ec)) return;
  std::vector<std::filesystem::path> below;
  for (const auto& e : std::filesystem::directory_iterator(slaves, ec)) {
    auto d = std::filesystem::canonical(e.path(), ec);
    if (!ec) below.push_back(std::move(d));
  }
  std::sort(below.begin(), below.end());
  for (const auto& d : below) {
    if (!seen.insert(d).second) continue;
    const auto inner = d / "slaves";
    if (std::filesystem::is_directory(inner, ec) && !std::filesystem::is_empty(inner, ec)) {
      add_members(d, seen, out, depth + 1);
    } else if (std::filesystem::exists(d / "stat", ec)) {
      out.push_back({d.filename().string(), d, true});
    }
  }
}

std::uint64_t field(const std::vector<std::uint64_t>& f, std::size_t i) {
  return i < f.size() ? f[i] : 0;
}

}  // namespace

DiskCounters DiskCounters::since(const DiskCounters& b) const {
  auto d = [](std::uint64_t a, std::uint64_t z) { return a >= z ? a - z : 0; };
  return {d(read_ios, b.read_ios),       d(read_bytes, b.read_bytes), d(write_ios, b.write_ios),
          d(write_bytes, b.write_bytes), d(busy_ms, b.busy_ms),       d(queue_ms, b.queue_ms)};
}

DiskSet find_disks(const std::filesystem::path& dir, const std::filesystem::path& sys,
                   const std::filesystem::path& mountinfo) {
  DiskSet set;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw_errno("stat", dir.string());
  std::error_code ec;
  const std::string where = std::filesystem::canonical(dir, ec).string();
  const auto mounts = read_mounts(mountinfo);
  const Mount* m = mount_of(mounts, ec ? dir.string() : where, st.st_dev);
  if (m != nullptr) set.fs_type = m->fs_type;
  if (S_ISBLK(st.st_mode)) {  // the device itself (a raw phase's `device`): no filesystem
    set.fs_type = "block device";
    if (auto dev = device_dir(sys, ::major(st.st_rdev), ::minor(st.st_rdev))) {
      set.disks.push_back({dev->filename().string(), *dev, false});
      std::set<std::filesystem::path> seen{*dev};
      add_members(*dev, seen, set.disks, 0);
    } else {
      set.why = "block device: no counters under " + (sys / "dev/block").string();
    }
    return set;
  }
  auto top = device_dir(sys, ::major(st.st_dev), ::minor(st.st_dev));
  if (!top && m != nullptr && m->source.starts_with("/dev/")) {
    struct stat src {};
    if (::stat(m->source.c_str(), &src) == 0 && S_ISBLK(src.st_mode))
      top = device_dir(sys, ::major(src.st_rdev), ::minor(src.st_rdev));
  }
  if (!top) {
    set.why = set.fs_type.empty() ? std::string("no block device found")
                                  : fmt::format("{}: no block device", set.fs_type);
    return set;
  }
  set.disks.push_back({top->filename().string(), *top, false});
  std::set<std::filesystem::path> seen{*top};
  add_members(*top, seen, set.disks, 0);
  return set;
}

DiskCounters parse_disk_stat(const std::string& text, const std::string& origin) {
  std::vector<std::uint64_t> f;
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || p != w.data() + w.size())
      throw InputError(fmt::format("{}: field {} '{}' is not a whole number", origin, f.size() + 1,
                                   w.substr(0, 40)));
    f.push_back(v);
  }
  if (f.size() < 11)
    throw InputError(
        fmt::format("{}: {} fields, a block device's stat has at least 11", origin, f.size()));
  // reads, merges, sectors, ticks; writes, merges, sectors, ticks; in flight, io_ticks, queue.
  return {field(f, 0),       field(f, 2) * 512, field(f, 4),
          field(f, 6) * 512, field(f, 9),       field(f, 10)};
}

std::vector<DiskCounters> read_counters(const DiskSet& set) {
  std::vector<DiskCounters> out;
  for (const auto& d : set.disks) {
    const auto path = d.sys_dir / "stat";
    std::ifstream in(path);
    if (!in) throw_errno("open", path.string());
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(parse_disk_stat(text.str(), path.string()));
  }
  return out;
}

}  // namespace aistor
