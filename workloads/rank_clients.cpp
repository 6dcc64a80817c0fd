#include "workloads/rank_clients.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "workloads/client_run.hpp"

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
  const auto offsets = ranks.clock_offsets();
  const auto messages = ranks.gather(message);
  ClientRun run;
  if (!ranks.root()) return run;
  run.start_ns = released;
  run.merged = Recorder(released, spec.interval_ns);
  for (int r = 0; r < ranks.size(); ++r) {
    const auto i = static_cast<std::size_t>(r);
    add_client_message(messages[i], static_cast<unsigned>(r), 0, workload.workers(),
                       "sent no result", offsets[i].offset_ns, run);
    run.clients.back().rank = r;
    run.clients.back().clock_rtt_ns = offsets[i].rtt_ns;
  }
  return run;
}

}  // namespace aistor
