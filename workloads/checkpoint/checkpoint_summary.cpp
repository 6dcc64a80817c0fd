// The checkpoint workload's figures: one process's (summarize) and every MPI rank's as one
// checkpoint (summarize_ranks).
#include "workloads/checkpoint/checkpoint_workload.hpp"

#include <algorithm>

namespace aistor {

// The rhythm's sums over ranks (the fractions are the ranks' average).
nlohmann::json CheckpointWorkload::rhythm_json() const {
  std::uint64_t compute = 0, blocked = 0, snapshot = 0, write = 0, wall = 0;
  for (const auto& t : times_) {
    compute += t.compute_ns;
    blocked += t.blocked_ns;
    snapshot += t.snapshot_ns;
    write += t.write_total_ns;
    wall += t.wall_ns;
  }
  const auto s = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e9; };
  // Sums over ranks: the fractions are the ranks' average.
  return {
      {"checkpoints", params_.rhythm->checkpoints},
      {"async", params_.rhythm->async},
      {"compute_s", s(compute)},
      {"blocked_s", s(blocked)},
      {"snapshot_s", s(snapshot)},
      {"write_s", s(write)},
      {"wall_s", s(wall)},
      {"idle_fraction", wall > 0 ? s(blocked) / s(wall) : 0.0},
      // Of the time spent writing, the share the accelerators did not wait for.
      {"overlap",
       write > 0 ? std::clamp(1.0 - s(blocked - std::min(blocked, snapshot)) / s(write), 0.0, 1.0)
                 : 0.0}};
}

nlohmann::json CheckpointWorkload::summarize() const {
  nlohmann::json j{{"op", params_.save ? "save" : "restore"},
                   {"dir", dir_.string()},
                   {"model", params_.spec.model},
                   {"bytes", params_.spec.size.bytes()},
                   {"model_bytes", params_.spec.size.model_bytes},
                   {"optimizer_bytes", params_.spec.size.optimizer_bytes},
                   {"parallel",
                    {{"tp", params_.spec.layout.tp},
                     {"pp", params_.spec.layout.pp},
                     {"dp", params_.spec.layout.dp},
                     {"zero", params_.spec.layout.zero},
                     {"ranks", params_.spec.layout.ranks()}}},
                   {"files", manifest_.files.size()},
                   {"block_size", params_.block},
                   // Where the shards' bytes came from (save) or landed (restore).
                   {"state_in", std::any_of(states_.begin(), states_.end(),
                                            [](const Buffer& b) { return b.data() != nullptr; })
                                    ? "gpu memory"
                                    : "host memory"}};
  std::uint64_t shard_bytes = 0;  // what this process wrote or read: all, or this rank's
  for (std::size_t w = 0; w < mine_.size(); ++w)
    shard_bytes += shard_of(w).bytes;
  j["shard_bytes"] = shard_bytes;
  std::uint64_t last = 0;
  std::uint64_t last_write = 0;
  bool all_ok = !times_.empty();
  nlohmann::json ranks = nlohmann::json::array();
  for (std::size_t i = 0; i < times_.size(); ++i) {
    const RankTimes& t = times_[i];
    all_ok = all_ok && t.ok;
    last = std::max(last, t.durable_ns);
    last_write = std::max(last_write, t.write_ns);
    if (ranks.size() < 64) {
      nlohmann::json r{{"rank", manifest_.files[mine_[i]].rank},
                       {"bytes", manifest_.files[mine_[i]].bytes},
                       {"ok", t.ok}};
      if (params_.save) {
        r["write_s"] = static_cast<double>(t.write_ns) / 1e9;
        r["fsync_s"] = static_cast<double>(t.sync_ns - std::min(t.sync_ns, t.write_ns)) / 1e9;
        r["durable_s"] = static_cast<double>(t.durable_ns) / 1e9;
      } else {
        r["read_s"] = static_cast<double>(t.durable_ns) / 1e9;
      }
      ranks.push_back(std::move(r));
    }
  }
  j["ranks"] = ranks;
  if (params_.rhythm && all_ok) j["rhythm"] = rhythm_json();
  const auto bytes = static_cast<double>(shard_bytes);
  if (all_ok && last > 0 && !params_.rhythm) {
    if (params_.save) {
      j["write_s"] = static_cast<double>(last_write) / 1e9;
      j["time_to_durable_s"] = static_cast<double>(last) / 1e9;
      j["durable_bytes_per_s"] = bytes / (static_cast<double>(last) / 1e9);
    } else {
      j["restore_s"] = static_cast<double>(last) / 1e9;
      j["restore_bytes_per_s"] = bytes / (static_cast<double>(last) / 1e9);
      j["verified"] = params_.verify;
    }
  }
  return j;
}

// Every rank's figures as one checkpoint: the bytes add up, the times are the slowest rank's
// (the checkpoint is durable when its last shard is), the rhythm's sums add up.
nlohmann::json CheckpointWorkload::summarize_ranks(
    const std::vector<nlohmann::json>& per_rank) const {
  if (per_rank.empty() || !per_rank.front().is_object()) return nullptr;
  nlohmann::json j = per_rank.front();
  nlohmann::json rows = nlohmann::json::array();
  std::uint64_t shard_bytes = 0;
  bool all_timed = true;
  const char* time_key = params_.save ? "time_to_durable_s" : "restore_s";
  double slowest = 0;
  double slowest_write = 0;
  for (std::size_t r = 0; r < per_rank.size(); ++r) {
    const auto& m = per_rank[r];
    if (!m.is_object()) {
      all_timed = false;
      continue;
    }
    shard_bytes += m.value("shard_bytes", std::uint64_t{0});
    for (auto row : m.value("ranks", nlohmann::json::array())) {
      row["mpi_rank"] = r;
      if (rows.size() < 64) rows.push_back(std::move(row));
    }
    all_timed = all_timed && m.contains(time_key);
    slowest = std::max(slowest, m.value(time_key, 0.0));
    slowest_write = std::max(slowest_write, m.value("write_s", 0.0));
  }
  j["ranks"] = rows;
  j["shard_bytes"] = shard_bytes;
  for (const char* key : {"write_s", "time_to_durable_s", "durable_bytes_per_s", "restore_s",
                          "restore_bytes_per_s"}) {
    j.erase(key);
  }
  const double bytes = static_cast<double>(shard_bytes);
  if (all_timed && slowest > 0) {
    if (params_.save) {
      j["write_s"] = slowest_write;
      j["time_to_durable_s"] = slowest;
      j["durable_bytes_per_s"] = bytes / slowest;
    } else {
      j["restore_s"] = slowest;
      j["restore_bytes_per_s"] = bytes / slowest;
    }
  }
  if (j.contains("rhythm")) {
    nlohmann::json& rh = j["rhythm"];
    for (const char* key : {"compute_s", "blocked_s", "snapshot_s", "write_s", "wall_s"}) {
      double sum = 0;
      for (const auto& m : per_rank) {
        if (m.is_object() && m.contains("rhythm")) sum += m["rhythm"].value(key, 0.0);
      }
      rh[key] = sum;
    }
    const double wall = rh["wall_s"].get<double>();
    const double blocked = rh["blocked_s"].get<double>();
    const double write = rh["write_s"].get<double>();
    rh["idle_fraction"] = wall > 0 ? blocked / wall : 0.0;
    rh["overlap"] =
        write > 0
            ? std::clamp(1.0 - std::max(0.0, blocked - rh["snapshot_s"].get<double>()) / write, 0.0,
                         1.0)
            : 0.0;
  }
  return j;
}

}  // namespace aistor
