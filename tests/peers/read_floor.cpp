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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: read_floor raw-abs|raw-rel LIST | ffr-pread|ffr-mmap LEN FILE...\n");
    return 2;
  }
  const std::string mode = argv[1];
  static char buf[1 << 16];
  std::vector<std::string> paths;                    // raw: one per sample
  std::vector<int> dir_fd;                           // raw-rel: per sample
  std::vector<std::pair<int, std::uint64_t>> reads;  // ffr: (file, offset) per sample
  std::vector<int> fds;
  std::vector<char*> maps;
  std::size_t len = 0;
  if (mode.starts_with("raw-")) {
    std::ifstream list(argv[2]);
    std::map<std::string, int> dirs;
    for (std::string p; std::getline(list, p);) {
      if (p.empty()) continue;
      paths.push_back(p);
      if (mode == "raw-rel") {
        const std::string d = p.substr(0, p.rfind('/'));
        auto it = dirs.find(d);
        if (it == dirs.end()) {
          const int fd = ::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (fd < 0) die(d);
          it = dirs.emplace(d, fd).first;
        }
        dir_fd.push_back(it->second);
        paths.back() = p.substr(p.rfind('/') + 1);
      }
    }
  } else {
    len = std::strtoull(argv[2], nullptr, 10);
    if (len == 0 || len > sizeof buf) return 2;
    for (int i = 3; i < argc; ++i) {
      const int fd = ::open(argv[i], O_RDONLY | O_CLOEXEC);
      struct stat st {};
      if (fd < 0 || ::fstat(fd, &st) != 0) die(argv[i]);
      fds.push_back(fd);
      void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ,
                       MAP_SHARED | (mode == "ffr-mmap" ? MAP_POPULATE : 0), fd, 0);
      if (m == MAP_FAILED) die("mmap");
      maps.push_back(static_cast<char*>(m));
      for (std::uint64_t k = 1; (k + 1) * len <= static_cast<std::uint64_t>(st.st_size); ++k)
        reads.emplace_back(static_cast<int>(fds.size() - 1),
                           static_cast<std::uint64_t>(st.st_size) - k * len);
    }
  }
  const std::size_t n = paths.empty() ? reads.size() : paths.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i)
    order[i] = i;
  std::mt19937_64 rng(1);
  long sum = 0;
  double rates[2];
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const double t0 = now_s();
    for (const std::size_t i : order) {
      if (mode == "raw-abs" || mode == "raw-rel") {
        const int fd = mode == "raw-abs"
                           ? ::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC)
                           : ::openat(dir_fd[i], paths[i].c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) die(paths[i]);
        sum += ::pread(fd, buf, sizeof buf, 0);
        ::close(fd);
      } else if (mode == "ffr-pread") {
        sum += ::pread(fds[reads[i].first], buf, len, static_cast<off_t>(reads[i].second));
      } else if (mode == "ffr-mmap") {
        std::memcpy(buf, maps[reads[i].first] + reads[i].second, len);
        sum += buf[len / 2];
      } else {
        return 2;
      }
    }
    rates[epoch] = static_cast<double>(n) / (now_s() - t0);
  }
  std::printf(
      "{\"mode\": \"%s\", \"samples\": %zu, \"epoch_samples_per_s\": [%.0f, %.0f], \"sum\": %ld}\n",
      mode.c_str(), n, rates[0], rates[1], sum);
  return 0;
}
