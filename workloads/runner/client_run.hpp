#pragma once
// What one storm client does, wherever it runs (a forked process, an MPI rank), and how its
// result is read back. A client makes its engines (one per worker), runs the workload's
// before_start() on each worker, waits for the start, runs run() on each, and answers with one
// message: a JSON part (engine, how each worker ended, its errors, its /proc/self/io delta, the
// workload's client_summary(), host) and its merged Recorder's wire form, each length-prefixed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "workloads/runner/client_processes.hpp"

namespace aistor {

struct ClientEnv {
  unsigned index = 0;                       // the client's number (engine worker ids follow it)
  const std::atomic<bool>* stop = nullptr;  // its workers' stop flag
  std::function<ProgressCounters*(unsigned worker)> progress;  // may be empty
  std::function<void()> stop_everyone;                         // a failure here ends every client
  // Says this client is ready, blocks until every client is, returns the start (time zero, this
  // process's steady clock).
  std::function<std::uint64_t()> wait_for_start;
  std::function<void(std::uint64_t last_done_ns)> finished;  // may be empty
};

// Runs the client; never throws (a failure is in the message). `ok` is false when it could not
// run at all (engines, setup).
[[nodiscard]] std::string run_client(const PhaseSpec& spec, Workload& workload,
                                     const ClientEnv& env, bool* ok);

// Adds client `index`'s message to `run`: its ClientResult, its workers' errors and ends, its
// recorder merged. An empty or cut message is a failed client: `missing` says why ("killed by
// signal 9 (Killed)"). `clock_offset_ns` moves the client's times onto the run's clock. Errors
// name it `name` ("rank 2"), or "client INDEX" when that is empty.
void add_client_message(std::string_view message, unsigned index, int pid, unsigned workers,
                        const std::string& missing, std::int64_t clock_offset_ns, ClientRun& run,
                        const std::string& name = {});

}  // namespace aistor
