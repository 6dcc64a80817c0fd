#include "workloads/runner/client_run.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "core/clock.hpp"
#include "core/page_cache.hpp"
#include "engines/registry.hpp"

namespace aistor {
namespace {

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

std::string frame(const nlohmann::json& j, const std::string& wire) {
  const std::string text = j.dump();
  std::string out;
  const std::uint64_t lengths[2] = {text.size(), wire.size()};
  out.append(reinterpret_cast<const char*>(&lengths[0]), 8);
  out += text;
  out.append(reinterpret_cast<const char*>(&lengths[1]), 8);
  out += wire;
  return out;
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("?");
}

}  // namespace

std::string run_client(const PhaseSpec& spec, Workload& workload, const ClientEnv& env, bool* ok) {
  nlohmann::json msg{{"error", nullptr}, {"host", host_name()}, {"pid", getpid()}};
  std::string wire;
  *ok = true;
  try {
    const unsigned n = workload.workers();
    std::vector<std::unique_ptr<Engine>> engines;
    for (unsigned w = 0; w < n; ++w) {
      EngineConfig config = spec.engine;
      config.worker = env.index * n + w;
      engines.push_back(make_engine(config));
    }
    msg["engine"] = engines.front()->describe();
    std::vector<std::string> errors(n);
    std::vector<PumpOutcome> ends(n);
    auto work = [&](unsigned w, Recorder& recorder, bool timed, std::uint64_t start) {
      WorkerContext ctx{w,
                        *engines[w],
                        recorder,
                        *env.stop,
                        spec.engine.queue_depth,
                        spec.stop_on_error,
                        start,
                        timed && env.progress ? env.progress(w) : nullptr};
      try {
        timed ? workload.run(ctx) : workload.before_start(ctx);
      } catch (const std::exception& e) {
        errors[w] = e.what();
        env.stop_everyone();  // one failed worker ends the phase for every client
      }
      ends[w] = ctx.outcome;
    };
    {
      std::vector<Recorder> scratch(n, Recorder(now_ns(), spec.interval_ns));
      on_workers(n, [&](unsigned w) { work(w, scratch[w], false, now_ns()); });
    }
    const std::uint64_t start = env.wait_for_start();
    msg["released_ns"] = now_ns();
    std::vector<Recorder> recorders(n, Recorder(start, spec.interval_ns));
    const auto io_before = proc_self_io();
    if (!env.stop->load()) {
      on_workers(n, [&](unsigned w) { work(w, recorders[w], true, start); });
      std::uint64_t last = 0;
      for (const auto& r : recorders)
        last = std::max(last, r.last_done_ns());
      if (env.finished) env.finished(last);
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
    env.stop_everyone();
    *ok = false;
  }
  return frame(msg, wire);
}

void add_client_message(std::string_view s, unsigned index, int pid, unsigned workers,
                        const std::string& missing, std::int64_t clock_offset_ns, ClientRun& run,
                        const std::string& name) {
  ClientResult r;
  const std::string who = name.empty() ? fmt::format("client {}", index) : name;
  r.index = index;
  r.pid = pid;
  r.clock_offset_ns = clock_offset_ns;
  auto fail = [&](std::string why) {
    r.error = name.empty() ? fmt::format("client {} (pid {}): {}", index, pid, why)
                           : fmt::format("{}: {}", name, why);
    for (unsigned w = 0; w < workers; ++w) {
      run.errors.push_back(w == 0 ? r.error : std::string());
      run.ends.push_back({PumpEnd::error, 0});
    }
    run.clients.push_back(std::move(r));
  };
  std::uint64_t json_len = 0;
  std::uint64_t wire_len = 0;
  if (s.size() < 8 || (std::memcpy(&json_len, s.data(), 8), s.size() - 8 < json_len + 8)) {
    return fail(missing);
  }
  std::memcpy(&wire_len, s.data() + 8 + json_len, 8);
  if (s.size() != 16 + json_len + wire_len) return fail(missing);  // cut short: as none
  nlohmann::json msg;
  std::optional<Recorder> rec;
  try {
    msg = nlohmann::json::parse(s.substr(8, json_len));
    r.host = msg.value("host", "");
    if (r.pid == 0) r.pid = msg.value("pid", 0);
    if (msg["error"].is_string()) return fail(msg["error"].get<std::string>());
    rec = Recorder::from_wire(s.substr(16 + json_len));
  } catch (const std::exception& e) {
    return fail(fmt::format("sent a malformed result ({})", e.what()));
  }
  rec->shift(clock_offset_ns);
  if (run.engine.is_null()) run.engine = msg["engine"];
  for (const auto& e : msg["errors"]) {
    run.errors.push_back(e.get<std::string>());
    if (r.error.empty() && !run.errors.back().empty()) {
      r.error = fmt::format("{}: {}", who, run.errors.back());
    }
  }
  for (const auto& e : msg["ends"]) {
    run.ends.push_back({static_cast<PumpEnd>(e[0].get<int>()), e[1].get<std::uint64_t>()});
    if (run.ends.back().end == PumpEnd::error) ++r.io_failed_workers;
  }
  const auto released = msg.value("released_ns", std::uint64_t{0});
  r.released_ns =
      released ? static_cast<std::uint64_t>(static_cast<std::int64_t>(released) + clock_offset_ns)
               : 0;
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

}  // namespace aistor
