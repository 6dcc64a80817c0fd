#include "workloads/runner/worker_threads.hpp"

#include <time.h>

#include <chrono>
#include <exception>
#include <thread>

#include "core/clock.hpp"

namespace aistor {
namespace {

// This thread's CPU time so far, user and system.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

bool before_start_workers(const PhaseSpec& spec, Workload& workload,
                          std::vector<std::unique_ptr<WorkerSlot>>& slots,
                          const std::atomic<bool>& stop) {
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < slots.size(); ++i) {
    threads.emplace_back([&, i] {
      WorkerSlot& s = *slots[i];
      Recorder scratch(now_ns(), spec.interval_ns);
      WorkerContext ctx{
          i,        *s.engine, scratch, stop, spec.engine.queue_depth, spec.stop_on_error,
          now_ns(), nullptr};
      try {
        workload.before_start(ctx);
      } catch (const std::exception& e) {
        s.error = e.what();
        failed = true;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  return !failed;
}

void run_workers(const PhaseSpec& spec, Workload& workload, std::uint64_t start,
                 std::vector<std::unique_ptr<WorkerSlot>>& slots, const std::atomic<bool>& stop,
                 const std::function<void(std::uint64_t bytes, std::uint64_t ops)>& progress) {
  std::atomic<bool> phase_stop{false};
  std::atomic<std::size_t> finished{0};
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < slots.size(); ++i) {
    threads.emplace_back([&, i] {
      WorkerSlot& s = *slots[i];
      WorkerContext ctx{
          i,     *s.engine,  *s.recorder, phase_stop, spec.engine.queue_depth, spec.stop_on_error,
          start, &s.progress};
      const double cpu0 = thread_cpu_s();
      try {
        workload.run(ctx);
      } catch (const std::exception& e) {
        s.error = e.what();
        phase_stop = true;  // one failed worker ends the phase for all
      }
      s.cpu_s = thread_cpu_s() - cpu0;
      s.outcome = ctx.outcome;
      ++finished;
    });
  }
  std::uint64_t last_progress = 0;
  while (finished.load() < slots.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (stop.load()) phase_stop = true;
    std::uint64_t now = now_ns();
    if (progress && now - last_progress >= 250'000'000) {
      last_progress = now;
      std::uint64_t bytes = 0;
      std::uint64_t ops = 0;
      for (const auto& s : slots) {
        bytes += s->progress.bytes.load(std::memory_order_relaxed);
        ops += s->progress.ops.load(std::memory_order_relaxed);
      }
      progress(bytes, ops);
    }
  }
  for (auto& t : threads)
    t.join();
}

}  // namespace aistor
