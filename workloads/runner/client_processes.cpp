#include "workloads/runner/client_processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <thread>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/mapping.hpp"
#include "core/unique_fd.hpp"
#include "workloads/runner/client_run.hpp"

namespace aistor {
namespace {

// Per client, in memory shared by the parent and every client: the stop flag its workers watch
// and its bytes when the first client finished. Lock-free atomics work across processes on a
// MAP_SHARED mapping.
struct ClientSlot {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bytes_at_first_done{0};
};

// The phase's start (written before the barrier opens) and the first client's finish, when it
// also took every client's delivered bytes (a stonewall snapshot, as IOR's).
struct SharedHeader {
  std::atomic<std::uint64_t> start_ns{0};
  std::atomic<std::uint64_t> first_done_ns{0};
  std::atomic<bool> first_done_taken{false};
};
static_assert(std::atomic<bool>::is_always_lock_free &&
              std::atomic<std::uint64_t>::is_always_lock_free);

// The header, a slot per client and live progress counters per worker (each has one writer, as
// the pump requires), in one shared anonymous mapping made before the clients are forked.
class SharedSlots {
 public:
  SharedSlots(unsigned clients, unsigned workers) : clients_(clients), workers_(workers) {
    static_assert(sizeof(SharedHeader) <= 64 && alignof(ClientSlot) <= 64 &&
                  alignof(ProgressCounters) <= 64);
    const std::size_t slots = (clients * sizeof(ClientSlot) + 63) / 64 * 64;
    const std::size_t bytes =
        64 + slots + std::size_t{clients} * workers * sizeof(ProgressCounters);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap (client slots)");
    map_ = Mapping(p, bytes);
    header_ = new (map_.data()) SharedHeader();
    slots_ = reinterpret_cast<ClientSlot*>(map_.data() + 64);
    for (unsigned i = 0; i < clients; ++i)
      new (&slots_[i]) ClientSlot();
    progress_ = reinterpret_cast<ProgressCounters*>(map_.data() + 64 + slots);
    for (std::size_t i = 0; i < std::size_t{clients} * workers; ++i)
      new (&progress_[i]) ProgressCounters();
  }
  [[nodiscard]] ClientSlot& operator[](unsigned i) const { return slots_[i]; }
  [[nodiscard]] SharedHeader& header() const { return *header_; }
  [[nodiscard]] ProgressCounters& progress(unsigned client, unsigned worker) const {
    return progress_[std::size_t{client} * workers_ + worker];
  }
  [[nodiscard]] std::uint64_t bytes(unsigned client) const {
    std::uint64_t n = 0;
    for (unsigned w = 0; w < workers_; ++w)
      n += progress(client, w).bytes.load(std::memory_order_relaxed);
    return n;
  }
  [[nodiscard]] std::uint64_t ops(unsigned client) const {
    std::uint64_t n = 0;
    for (unsigned w = 0; w < workers_; ++w)
      n += progress(client, w).ops.load(std::memory_order_relaxed);
    return n;
  }
  void stop_all() const {
    for (unsigned i = 0; i < clients_; ++i)
      slots_[i].stop.store(true);
  }
  // Called by each client as it finishes (`at`: its last completion): the first takes every
  // client's bytes so far.
  void finished(std::uint64_t at) const {
    if (header_->first_done_taken.exchange(true)) return;
    header_->first_done_ns.store(at);
    for (unsigned i = 0; i < clients_; ++i)
      slots_[i].bytes_at_first_done.store(bytes(i));
  }

 private:
  unsigned clients_;
  unsigned workers_;
  Mapping map_;
  SharedHeader* header_ = nullptr;
  ClientSlot* slots_ = nullptr;
  ProgressCounters* progress_ = nullptr;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2 (client processes)");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the parent is gone; nothing left to tell
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Waits until the parent closes the start barrier's write end (read sees end of file).
void wait_for_release(int fd) {
  char c;
  while (true) {
    const ssize_t r = ::read(fd, &c, 1);
    if (r == 0) return;
    if (r < 0 && errno != EINTR) return;
  }
}

struct ClientFds {
  int ready = -1;   // write one byte when set up
  int go = -1;      // read end of the start barrier
  int result = -1;  // write end of this client's result pipe
};

// The body of client `index` after fork. Never returns.
[[noreturn]] void client_main(const PhaseSpec& spec, Workload& workload, unsigned index,
                              const SharedSlots& shared, ClientFds fds) {
  ClientEnv env;
  env.index = index;
  env.stop = &shared[index].stop;
  env.progress = [&](unsigned w) { return &shared.progress(index, w); };
  env.stop_everyone = [&] { shared.stop_all(); };
  env.wait_for_start = [&] {
    write_all(fds.ready, "r", 1);
    wait_for_release(fds.go);
    return shared.header().start_ns.load();
  };
  env.finished = [&](std::uint64_t last) { shared.finished(last); };
  bool ok = true;
  const std::string message = run_client(spec, workload, env, &ok);
  write_all(fds.result, message.data(), message.size());
  _exit(ok ? 0 : 1);
}

struct Client {
  int pid = -1;
  UniqueFd result;  // read end
  std::string received;
  bool eof = false;
  int status = 0;
  bool reaped = false;
};

// Reads whatever the clients have sent, for up to `timeout_ms`; true when a client's pipe ended.
bool pump_results(std::vector<Client>& clients, int extra_fd, int timeout_ms, bool* extra_ready) {
  std::vector<pollfd> fds;
  std::vector<Client*> owners;
  for (auto& c : clients) {
    if (c.eof) continue;
    fds.push_back({c.result.get(), POLLIN, 0});
    owners.push_back(&c);
  }
  if (extra_fd >= 0) fds.push_back({extra_fd, POLLIN, 0});
  if (fds.empty()) return false;
  if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) throw_errno("poll (clients)");
  bool ended = false;
  for (std::size_t i = 0; i < owners.size(); ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[65536];
    const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
    if (r > 0) {
      owners[i]->received.append(buf, static_cast<std::size_t>(r));
    } else if (r == 0 || errno != EINTR) {
      owners[i]->eof = true;
      ended = true;
    }
  }
  if (extra_ready) *extra_ready = extra_fd >= 0 && (fds.back().revents & (POLLIN | POLLHUP));
  return ended;
}

std::string exit_text(int status) {
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

// Reaps every client; a client that outlives its result pipe by 10 s is killed.
void reap_all(std::vector<Client>& clients) {
  const std::uint64_t deadline = now_ns() + 10'000'000'000ULL;
  for (auto& c : clients) {
    while (!c.reaped) {
      const int r = waitpid(c.pid, &c.status, now_ns() < deadline ? WNOHANG : 0);
      if (r == c.pid || (r < 0 && errno != EINTR)) {
        c.reaped = true;
      } else if (r == 0) {
        if (now_ns() >= deadline) kill(c.pid, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }
}

// Turns what client `c` sent into its result, adding its workers' ends to `run`.
void parse_client(const Client& c, unsigned index, unsigned workers, ClientRun& run) {
  const std::string missing = WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0
                                  ? "ended without sending its whole result"
                                  : exit_text(c.status) + " before sending its whole result";
  add_client_message(c.received, index, c.pid, workers, missing, 0, run);
}

// Forks the clients; each runs client_main and never returns here. On a failed fork the clients
// already forked are stopped and reaped before the error is thrown.
std::vector<Client> fork_clients(const PhaseSpec& spec, Workload& workload, SharedSlots& shared,
                                 Pipe& ready, Pipe& go) {
  const unsigned n = workload.processes();
  std::vector<Client> clients(n);
  const pid_t parent = getpid();
  for (unsigned i = 0; i < n; ++i) {
    Pipe result = make_pipe();
    const pid_t pid = fork();
    if (pid < 0) {
      const int err = errno;
      shared.stop_all();
      go.write.reset();
      clients.resize(i);
      for (auto& c : clients)
        c.result.reset();
      reap_all(clients);
      throw_system(err, fmt::format("fork (client {} of {})", i, n));
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      go.write.reset();
      client_main(spec, workload, i, shared,
                  {ready.write.get(), go.read.get(), result.write.get()});
    }
    clients[i].pid = pid;
    clients[i].result = std::move(result.read);
  }
  ready.write.reset();
  go.read.reset();
  return clients;
}

// Waits until every client is set up, or one failed, died or took too long, or `stop`. Returns
// why not all are ready (empty: all are, or one ended early and says why itself).
std::string wait_until_ready(std::vector<Client>& clients, int ready_fd,
                             const std::atomic<bool>& stop, double ready_timeout_s,
                             unsigned& readied) {
  const auto n = static_cast<unsigned>(clients.size());
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(ready_timeout_s * 1e9);
  while (readied < n) {
    bool ready_byte = false;
    if (pump_results(clients, ready_fd, 50, &ready_byte)) break;  // one ended early
    if (ready_byte) {
      char buf[256];
      const ssize_t r = ::read(ready_fd, buf, sizeof buf);
      if (r > 0) readied += static_cast<unsigned>(r);
    }
    if (stop.load()) break;
    if (now_ns() > deadline)
      return fmt::format("{} of {} clients not ready after {:g} s", n - readied, n,
                         ready_timeout_s);
  }
  return {};
}

// Until every client has sent its result and closed: passes Ctrl-C on, reports progress. Clients
// asked to stop get 10 s to end; one still running then (stuck before its barrier, or in a call
// that never returns) is killed, so the phase ends instead of hanging.
void watch_clients(std::vector<Client>& clients, SharedSlots& shared, bool stopping,
                   const std::atomic<bool>& stop, const ClientProgress& progress) {
  std::uint64_t stopped_at = stopping ? now_ns() : 0;
  std::uint64_t last_progress = 0;
  while (true) {
    bool all = true;
    for (const auto& c : clients)
      all = all && c.eof;
    if (all) break;
    (void)pump_results(clients, -1, 20, nullptr);
    if (stop.load()) {
      shared.stop_all();
      if (stopped_at == 0) stopped_at = now_ns();
    }
    if (stopped_at != 0 && now_ns() - stopped_at > 10'000'000'000ULL) {
      for (const auto& c : clients)
        if (!c.eof) kill(c.pid, SIGKILL);
    }
    if (progress && now_ns() - last_progress >= 250'000'000) {
      last_progress = now_ns();
      std::uint64_t bytes = 0;
      std::uint64_t ops = 0;
      for (unsigned i = 0; i < clients.size(); ++i) {
        bytes += shared.bytes(i);
        ops += shared.ops(i);
      }
      progress(bytes, ops);
    }
  }
}

}  // namespace

ClientRun run_clients(const PhaseSpec& spec, Workload& workload, const std::atomic<bool>& stop,
                      const ClientProgress& progress, double ready_timeout_s) {
  const unsigned n = workload.processes();
  SharedSlots shared(n, workload.workers());
  Pipe ready = make_pipe();
  Pipe go = make_pipe();
  std::vector<Client> clients = fork_clients(spec, workload, shared, ready, go);
  unsigned readied = 0;
  const std::string not_ready =
      wait_until_ready(clients, ready.read.get(), stop, ready_timeout_s, readied);
  ClientRun run;
  if (readied < n) shared.stop_all();
  run.start_ns = now_ns();
  shared.header().start_ns.store(run.start_ns);
  run.merged = Recorder(run.start_ns, spec.interval_ns);
  go.write.reset();  // the start barrier: every client's read returns end of file now
  watch_clients(clients, shared, readied < n, stop, progress);
  reap_all(clients);
  for (unsigned i = 0; i < n; ++i) {
    parse_client(clients[i], i, workload.workers(), run);
    run.clients.back().bytes_at_first_done = shared[i].bytes_at_first_done.load();
  }
  run.first_done_ns = shared.header().first_done_ns.load();
  if (!not_ready.empty()) {
    run.errors.insert(run.errors.begin(), not_ready);
    run.ends.insert(run.ends.begin(), {PumpEnd::error, 0});
  }
  return run;
}

}  // namespace aistor
