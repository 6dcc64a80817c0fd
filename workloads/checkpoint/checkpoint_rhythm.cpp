// The checkpoint workload's training rhythm: N saves with simulated compute between them,
// blocking or asynchronous (a host snapshot written in the background).
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "engines/pump.hpp"
#include "workloads/checkpoint/checkpoint_workload.hpp"

namespace aistor {

// N checkpoints with simulated training between them. Blocking: the accelerators wait for each
// save. Async: they wait only to copy the state into a host snapshot (and for the previous
// background write, if it has not finished); a background thread writes the snapshot while the
// next steps compute.
bool CheckpointWorkload::save_rhythm(WorkerContext& ctx, Pump& pump, RankTimes& t) {
  const CheckpointParams::Rhythm& r = *params_.rhythm;
  const ShardFile& shard = shard_of(ctx.index);
  std::vector<std::byte> state;
  std::vector<std::byte> snapshot;
  if (r.async) {
    state.resize(shard.bytes);
    snapshot.resize(shard.bytes);
    fill_random(state.data(), state.size(), params_.seed + shard.rank);
  }
  const std::uint64_t wall0 = now_ns();
  std::thread writer;
  std::atomic<bool> writer_ok{true};  // read by this thread while the writer runs
  std::string writer_error;
  auto join_writer = [&] {
    if (!writer.joinable()) return;
    writer.join();
    if (!writer_error.empty()) throw SystemError(EIO, writer_error, shard.name);
  };
  for (unsigned k = 0; k < r.checkpoints && writer_ok; ++k) {
    if (ctx.stop.load()) break;
    const std::uint64_t c0 = now_ns();
    std::this_thread::sleep_for(std::chrono::nanoseconds(r.compute_ns));
    t.compute_ns += now_ns() - c0;
    const std::uint64_t b0 = now_ns();
    if (!r.async) {
      RankTimes one;
      writer_ok = write_shard(ctx, pump, one);
      t.write_total_ns += one.durable_ns;
      t.blocked_ns += now_ns() - b0;
      continue;
    }
    join_writer();  // the snapshot buffer is free once the previous write is durable
    if (!writer_ok) break;
    const std::uint64_t s0 = now_ns();
    std::memcpy(snapshot.data(), state.data(), state.size());
    t.snapshot_ns += now_ns() - s0;
    t.blocked_ns += now_ns() - b0;
    writer = std::thread([&] {
      try {
        RankTimes one;
        writer_ok = write_shard(ctx, pump, one);
        t.write_total_ns += one.durable_ns;  // read only after join
      } catch (const std::exception& e) {
        writer_ok = false;
        writer_error = e.what();
      }
    });
  }
  const std::uint64_t f0 = now_ns();
  join_writer();  // training ends when the last checkpoint is durable
  t.blocked_ns += now_ns() - f0;
  t.wall_ns = now_ns() - wall0;
  t.durable_ns = now_ns() - ctx.start_ns;
  return writer_ok && !ctx.stop.load();
}

}  // namespace aistor
