// The floor under any sample loader on this machine: a bare C++ loop doing only the system calls
// (or the copy) a sample read needs, no pipeline, no bookkeeping. Run one per core beside the
// samples workload to see how close aistor comes to what the kernel allows.
//
//   read_floor raw-abs LIST       open(absolute path), pread, close per file; LIST has one path
//   read_floor raw-rel LIST       the same with openat() relative to a kept directory descriptor
//   read_floor ffr-pread LEN F... LEN-byte preads at distinct LEN-aligned offsets of the files
//   read_floor ffr-mmap LEN F...  the same as memcpy out of a populated read-only mapping
//
// Each visits every sample once per epoch in a seeded shuffle, for two epochs, and prints one
// JSON line: {"mode", "samples", "epoch_samples_per_s": [first, second]}.
// Build: g++ -O2 -std=c++20 read_floor.cpp -o read_floor
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void die(const std::string& what) {
  std::perror(what.c_str());
  std::exit(1);
}

enum class Mode { raw_abs, raw_rel, ffr_pread, ffr_mmap };

// What one epoch visits: raw files (by path, or by name under a kept directory descriptor), or
// (file, offset) reads of `len` bytes in packed files.
struct Samples {
  std::vector<std::string> paths;
  std::vector<int> dir_fd;                           // raw-rel: per sample
  std::vector<std::pair<int, std::uint64_t>> reads;  // packed: (file, offset) per sample
  std::vector<int> fds;
  std::vector<char*> maps;
  std::size_t len = 0;
  [[nodiscard]] std::size_t size() const { return paths.empty() ? reads.size() : paths.size(); }
};

Samples load_raw(const char* list_file, bool relative) {
  Samples s;
  std::ifstream list(list_file);
  std::map<std::string, int> dirs;
  for (std::string p; std::getline(list, p);) {
    if (p.empty()) continue;
    if (!relative) {
      s.paths.push_back(p);
      continue;
    }
    const std::string d = p.substr(0, p.rfind('/'));
    auto it = dirs.find(d);
    if (it == dirs.end()) {
      const int fd = ::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) die(d);
      it = dirs.emplace(d, fd).first;
    }
    s.dir_fd.push_back(it->second);
    s.paths.push_back(p.substr(p.rfind('/') + 1));
  }
  return s;
}

Samples load_packed(std::size_t len, char** files, int count, bool populate) {
  Samples s;
  s.len = len;
  for (int i = 0; i < count; ++i) {
    const int fd = ::open(files[i], O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) die(files[i]);
    s.fds.push_back(fd);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
    if (m == MAP_FAILED) die("mmap");
    s.maps.push_back(static_cast<char*>(m));
    for (std::uint64_t k = 1; (k + 1) * len <= size; ++k)
      s.reads.emplace_back(static_cast<int>(s.fds.size() - 1), size - k * len);
  }
  return s;
}

// Reads sample `i` into `buf`; returns something of its bytes, so no read is optimised away.
long read_one(Mode mode, const Samples& s, std::size_t i, char* buf, std::size_t buf_size) {
  switch (mode) {
    case Mode::raw_abs:
    case Mode::raw_rel: {
      const int fd = mode == Mode::raw_abs
                         ? ::open(s.paths[i].c_str(), O_RDONLY | O_CLOEXEC)
                         : ::openat(s.dir_fd[i], s.paths[i].c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) die(s.paths[i]);
      const long n = ::pread(fd, buf, buf_size, 0);
      ::close(fd);
      return n;
    }
    case Mode::ffr_pread:
      return ::pread(s.fds[s.reads[i].first], buf, s.len, static_cast<off_t>(s.reads[i].second));
    case Mode::ffr_mmap:
      std::memcpy(buf, s.maps[s.reads[i].first] + s.reads[i].second, s.len);
      return buf[s.len / 2];
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  static char buf[1 << 16];
  const std::map<std::string, Mode> modes{{"raw-abs", Mode::raw_abs},
                                          {"raw-rel", Mode::raw_rel},
                                          {"ffr-pread", Mode::ffr_pread},
                                          {"ffr-mmap", Mode::ffr_mmap}};
  const auto m = argc >= 3 ? modes.find(argv[1]) : modes.end();
  if (m == modes.end()) {
    std::fprintf(stderr,
                 "usage: read_floor raw-abs|raw-rel LIST | ffr-pread|ffr-mmap LEN FILE...\n");
    return 2;
  }
  const Mode mode = m->second;
  Samples s;
  if (mode == Mode::raw_abs || mode == Mode::raw_rel) {
    s = load_raw(argv[2], mode == Mode::raw_rel);
  } else {
    const std::size_t len = std::strtoull(argv[2], nullptr, 10);
    if (len == 0 || len > sizeof buf) return 2;
    s = load_packed(len, argv + 3, argc - 3, mode == Mode::ffr_mmap);
  }
  const std::size_t n = s.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i)
    order[i] = i;
  std::mt19937_64 rng(1);
  long sum = 0;
  double rates[2];
  for (double& rate : rates) {
    std::shuffle(order.begin(), order.end(), rng);
    const double t0 = now_s();
    for (const std::size_t i : order)
      sum += read_one(mode, s, i, buf, sizeof buf);
    rate = static_cast<double>(n) / (now_s() - t0);
  }
  std::printf(
      "{\"mode\": \"%s\", \"samples\": %zu, \"epoch_samples_per_s\": [%.0f, %.0f], \"sum\": %ld}\n",
      argv[1], n, rates[0], rates[1], sum);
  return 0;
}
