#include "workloads/client_processes.hpp"

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
#include "core/page_cache.hpp"
#include "core/unique_fd.hpp"
#include "engines/registry.hpp"

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

// The client's message: a JSON part and its recorder's wire form, each length-prefixed.
void send_result(int fd, const nlohmann::json& j, const std::string& wire) {
  const std::string text = j.dump();
  const std::uint64_t lengths[2] = {text.size(), wire.size()};
  write_all(fd, &lengths[0], sizeof lengths[0]);
  write_all(fd, text.data(), text.size());
  write_all(fd, &lengths[1], sizeof lengths[1]);
  write_all(fd, wire.data(), wire.size());
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

// Runs `body(worker)` on `n` workers: the calling thread when there is one (a client with one
// worker starts no thread), else one thread each.
void on_workers(unsigned n, const std::function<void(unsigned)>& body) {
  if (n == 1) {
    body(0);
    return;
  }
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < n; ++i)
    threads.emplace_back(body, i);
  for (auto& t : threads)
    t.join();
}

struct ClientFds {
  int ready = -1;   // write one byte when set up
  int go = -1;      // read end of the start barrier
  int result = -1;  // write end of this client's result pipe
};

// The body of client `index` after fork. Never returns.
[[noreturn]] void client_main(const PhaseSpec& spec, Workload& workload, unsigned index,
                              const SharedSlots& shared, ClientFds fds) {
  nlohmann::json msg{{"error", nullptr}};
  std::string wire;
  int code = 0;
  ClientSlot& slot = shared[index];
  try {
    const unsigned n = workload.workers();
    std::vector<std::unique_ptr<Engine>> engines;
    for (unsigned w = 0; w < n; ++w) {
      EngineConfig config = spec.engine;
      config.worker = index * n + w;
      engines.push_back(make_engine(config));
    }
    msg["engine"] = engines.front()->describe();
    std::vector<std::string> errors(n);
    std::vector<PumpOutcome> ends(n);
    auto work = [&](unsigned w, Recorder& recorder, bool timed, std::uint64_t start) {
      WorkerContext ctx{w,
                        *engines[w],
                        recorder,
                        slot.stop,
                        spec.engine.queue_depth,
                        spec.stop_on_error,
                        start,
                        timed ? &shared.progress(index, w) : nullptr};
      try {
        timed ? workload.run(ctx) : workload.before_start(ctx);
      } catch (const std::exception& e) {
        errors[w] = e.what();
        shared.stop_all();  // one failed worker ends the phase for every client
      }
      ends[w] = ctx.outcome;
    };
    {
      std::vector<Recorder> scratch(n, Recorder(now_ns(), spec.interval_ns));
      on_workers(n, [&](unsigned w) { work(w, scratch[w], false, now_ns()); });
    }
    write_all(fds.ready, "r", 1);
    wait_for_release(fds.go);
    const std::uint64_t released = now_ns();
    const std::uint64_t start = shared.header().start_ns.load();
    msg["released_ns"] = released;
    std::vector<Recorder> recorders(n, Recorder(start, spec.interval_ns));
    const auto io_before = proc_self_io();
    if (!slot.stop.load()) {
      on_workers(n, [&](unsigned w) { work(w, recorders[w], true, start); });
      std::uint64_t last = 0;
      for (const auto& r : recorders)
        last = std::max(last, r.last_done_ns());
      shared.finished(last);
    } else {
      for (auto& e : ends)
        e.end = PumpEnd::interrupted;
    }
    const auto io_after = proc_self_io();
    for (unsigned w = 1; w < n; ++w)
      recorders[0].merge(recorders[w]);
    wire = recorders[0].to_wire();
    msg["errors"] = errors;
    nlohmann::json end_codes = nlohmann::json::array();
    for (const auto& e : ends)
      end_codes.push_back({static_cast<int>(e.end), e.ramp_ops});
    msg["ends"] = end_codes;
    if (io_before && io_after) {
      msg["storage_read_bytes"] = io_after->read_bytes - io_before->read_bytes;
      msg["storage_write_bytes"] = io_after->write_bytes - io_before->write_bytes;
    }
    msg["metrics"] = workload.client_summary();
  } catch (const std::exception& e) {
    msg["error"] = e.what();
    shared.stop_all();
    code = 1;
  }
  send_result(fds.result, msg, wire);
  _exit(code);
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
void parse_client(Client& c, unsigned index, unsigned workers, ClientRun& run) {
  ClientResult r;
  r.index = index;
  r.pid = c.pid;
  auto fail = [&](std::string why) {
    r.error = fmt::format("client {} (pid {}): {}", index, c.pid, why);
    for (unsigned w = 0; w < workers; ++w) {
      run.errors.push_back(w == 0 ? r.error : std::string());
      run.ends.push_back({PumpEnd::error, 0});
    }
    run.clients.push_back(std::move(r));
  };
  const std::string& s = c.received;
  std::uint64_t json_len = 0;
  std::uint64_t wire_len = 0;
  if (s.size() < 8 || (std::memcpy(&json_len, s.data(), 8), s.size() < 16 + json_len)) {
    return fail(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0
                    ? "ended without sending its result"
                    : exit_text(c.status) + " before sending its result");
  }
  std::memcpy(&wire_len, s.data() + 8 + json_len, 8);
  if (s.size() != 16 + json_len + wire_len) return fail("sent a truncated result");
  nlohmann::json msg;
  std::optional<Recorder> rec;
  try {
    msg = nlohmann::json::parse(s.substr(8, json_len));
    if (msg["error"].is_string()) return fail(msg["error"].get<std::string>());
    rec = Recorder::from_wire(std::string_view(s).substr(16 + json_len));
  } catch (const std::exception& e) {
    return fail(fmt::format("sent a malformed result ({})", e.what()));
  }
  if (run.engine.is_null()) run.engine = msg["engine"];
  for (const auto& e : msg["errors"]) {
    run.errors.push_back(e.get<std::string>());
    if (r.error.empty() && !run.errors.back().empty()) {
      r.error = fmt::format("client {}: {}", index, run.errors.back());
    }
  }
  for (const auto& e : msg["ends"])
    run.ends.push_back({static_cast<PumpEnd>(e[0].get<int>()), e[1].get<std::uint64_t>()});
  r.released_ns = msg.value("released_ns", std::uint64_t{0});
  r.bytes = rec->bytes();
  r.ops = rec->ops();
  r.first_submit_ns = rec->ops() ? rec->first_submit_ns() : 0;
  r.last_done_ns = rec->last_done_ns();
  if (msg.contains("storage_read_bytes")) {
    r.storage_read_bytes = msg["storage_read_bytes"].get<std::uint64_t>();
    r.storage_write_bytes = msg["storage_write_bytes"].get<std::uint64_t>();
  }
  r.metrics = msg.value("metrics", nlohmann::json());
  run.merged.merge(*rec);
  run.clients.push_back(std::move(r));
}

}  // namespace

ClientRun run_clients(const PhaseSpec& spec, Workload& workload, const std::atomic<bool>& stop,
                      const ClientProgress& progress, double ready_timeout_s) {
  const unsigned n = workload.processes();
  SharedSlots shared(n, workload.workers());
  Pipe ready = make_pipe();
  Pipe go = make_pipe();
  std::vector<Client> clients(n);
  const pid_t parent = getpid();
  auto abandon = [&] {
    shared.stop_all();
    go.write.reset();
  };
  for (unsigned i = 0; i < n; ++i) {
    Pipe result = make_pipe();
    const pid_t pid = fork();
    if (pid < 0) {
      const int err = errno;
      abandon();
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

  // Everyone set up (or someone failed, died or took too long): then release the barrier.
  unsigned readied = 0;
  const std::uint64_t ready_deadline = now_ns() + static_cast<std::uint64_t>(ready_timeout_s * 1e9);
  std::string not_ready;
  while (readied < n) {
    bool ready_byte = false;
    if (pump_results(clients, ready.read.get(), 50, &ready_byte)) break;  // one ended early
    if (ready_byte) {
      char buf[256];
      const ssize_t r = ::read(ready.read.get(), buf, sizeof buf);
      if (r > 0) readied += static_cast<unsigned>(r);
    }
    if (stop.load()) break;
    if (now_ns() > ready_deadline) {
      not_ready =
          fmt::format("{} of {} clients not ready after {:g} s", n - readied, n, ready_timeout_s);
      break;
    }
  }
  ClientRun run;
  if (readied < n) shared.stop_all();
  run.start_ns = now_ns();
  shared.header().start_ns.store(run.start_ns);
  run.merged = Recorder(run.start_ns, spec.interval_ns);
  go.write.reset();  // the start barrier: every client's read returns end of file now

  std::uint64_t last_progress = 0;
  while (true) {
    bool all = true;
    for (const auto& c : clients)
      all = all && c.eof;
    if (all) break;
    (void)pump_results(clients, -1, 20, nullptr);
    if (stop.load()) shared.stop_all();
    if (progress && now_ns() - last_progress >= 250'000'000) {
      last_progress = now_ns();
      std::uint64_t bytes = 0;
      std::uint64_t ops = 0;
      for (unsigned i = 0; i < n; ++i) {
        bytes += shared.bytes(i);
        ops += shared.ops(i);
      }
      progress(bytes, ops);
    }
  }
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
