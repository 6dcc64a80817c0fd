// The pack workload's figures: one process's (summarize) and every MPI rank's as one pack
// (summarize_ranks).
#include <algorithm>

#include "workloads/pack/pack_workload.hpp"

namespace aistor {

nlohmann::json PackWorkload::summarize() const {
  nlohmann::json j{{"read_only", params_.read_only}, {"threads", params_.threads}};
  if (!source_) return j;
  j["source"] = source_->describe();
  j["source"].update(source_info_);
  std::uint64_t end = 0;
  for (auto e : end_ns_)
    end = std::max(end, e);
  const double elapsed =
      end > start_ns_ && start_ns_ != 0 ? static_cast<double>(end - start_ns_) / 1e9 : 0.0;
  // What this process packed: all of it, or under mpirun this rank's targets.
  std::uint64_t payload = 0, bytes = 0, files = 0;
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (!ours(t)) continue;
    payload += targets_[t].payload_bytes;
    bytes += target_file_bytes(params_.target, targets_[t].samples, targets_[t].payload_bytes);
    ++files;
  }
  j["payload_bytes"] = payload;
  j["elapsed_s"] = elapsed;
  j["throughput_bytes_per_s"] = elapsed > 0 ? static_cast<double>(payload) / elapsed : 0.0;
  j["read_block"] = params_.read_block;
  if (!params_.read_only) {
    j["target"] = {{"format", to_string(params_.target)},
                   {"dir", out_dir_.string()},
                   {"files", files},
                   {"file_bytes", bytes}};
    j["write_block"] = params_.write_block;
    j["write_behind"] = params_.write_behind;
    j["write_engine"] =
        write_engines_.empty() ? to_json(params_.write_engine) : write_engines_.front()->describe();
    j["verified"] = verified_;
  }
  return j;
}

// Every rank's figures as one pack: payload, files and bytes add up; it took as long as the
// slowest rank.
nlohmann::json PackWorkload::summarize_ranks(const std::vector<nlohmann::json>& per_rank) const {
  if (per_rank.empty() || !per_rank.front().is_object()) return nullptr;
  nlohmann::json j = per_rank.front();
  std::uint64_t payload = 0, files = 0, bytes = 0, verified_files = 0, verified_samples = 0;
  double elapsed = 0;
  bool verified = !params_.read_only && params_.verify;
  for (const auto& m : per_rank) {
    if (!m.is_object()) continue;
    payload += m.value("payload_bytes", std::uint64_t{0});
    elapsed = std::max(elapsed, m.value("elapsed_s", 0.0));
    if (m.contains("target")) {
      files += m["target"].value("files", std::uint64_t{0});
      bytes += m["target"].value("file_bytes", std::uint64_t{0});
    }
    if (m.contains("verified") && m["verified"].is_object()) {
      verified_files += m["verified"].value("files", std::uint64_t{0});
      verified_samples += m["verified"].value("samples", std::uint64_t{0});
    } else {
      verified = false;
    }
  }
  j["payload_bytes"] = payload;
  j["elapsed_s"] = elapsed;
  j["throughput_bytes_per_s"] = elapsed > 0 ? static_cast<double>(payload) / elapsed : 0.0;
  if (j.contains("target")) {
    j["target"]["files"] = files;
    j["target"]["file_bytes"] = bytes;
  }
  if (verified) {
    j["verified"]["files"] = verified_files;
    j["verified"]["samples"] = verified_samples;
    j["verified"].erase("seconds");  // per rank, in its row
  }
  return j;
}

}  // namespace aistor
