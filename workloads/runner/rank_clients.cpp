#include "workloads/runner/rank_clients.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.hpp"
#include "workloads/runner/client_run.hpp"

namespace aistor {

ClientRun run_rank_clients(const PhaseSpec& spec, Workload& workload, Ranks& ranks,
                           const std::atomic<bool>& stop) {
  std::uint64_t released = 0;
  ClientEnv env;
  env.index = static_cast<unsigned>(ranks.rank());
  env.stop = &stop;
  env.stop_everyone = [] {};  // a rank's failure is its own row; the others load on
  env.wait_for_start = [&] {
    ranks.barrier();
    released = now_ns();
    return released;
  };
  bool ok = true;
  const std::string message = run_client(spec, workload, env, &ok);
  // A rank that failed before the start (its engines, a storm's before_start) still joins the
  // barrier the others wait on, so every rank makes the same collectives in the same order.
  if (released == 0) {
    ranks.barrier();
    released = now_ns();
  }
  const auto offsets = ranks.clock_offsets();
  const auto messages = ranks.gather(message);
  auto collect = [&](std::uint64_t start) {
    ClientRun run;
    run.start_ns = start;
    run.merged = Recorder(start, spec.interval_ns);
    auto add = [&](const std::string& m, int r, std::int64_t offset_ns, std::int64_t rtt_ns) {
      add_client_message(m, static_cast<unsigned>(r), 0, workload.workers(), "sent no result",
                         offset_ns, run, fmt::format("rank {}", r));
      run.clients.back().rank = r;
      run.clients.back().clock_rtt_ns = rtt_ns;
    };
    if (!ranks.root()) {
      add(message, ranks.rank(), 0, 0);  // its own part, for its own status and check
      return run;
    }
    for (int r = 0; r < ranks.size(); ++r) {
      const auto i = static_cast<std::size_t>(r);
      add(messages[i], r, offsets[i].offset_ns, offsets[i].rtt_ns);
    }
    return run;
  };
  ClientRun run = collect(released);
  if (!ranks.root()) return run;
  // Time zero is the first rank out of the barrier (on rank 0's clock): rank 0 itself may see
  // the release late (a busy or oversubscribed core) and another rank be done by then.
  std::uint64_t first = released;
  for (const auto& c : run.clients) {
    if (c.released_ns > 0) first = std::min(first, c.released_ns);
  }
  return first == released ? run : collect(first);
}

}  // namespace aistor
