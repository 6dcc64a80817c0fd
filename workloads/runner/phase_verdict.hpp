#pragma once
// What a phase's numbers mean, from figures the runner already has: where its bytes came from
// (the device beneath its directory moved them, or the page cache served them) and what bound it
// (the device, the client's CPU, the queue depth it was given, or the compute it simulated).
//
// device_figures   each disk's counters over the phase (bytes, ops, busy fraction, average queue).
// phase_verdict    {"source", "device_share", "saturated", "bound", "figures", "why"} from a
//                  phase's JSON (bytes, devices, cpu, duration_s, workers, queue_depth,
//                  achieved_queue_depth, workload_metrics) and the cores the machine has.
//
// Source: the filesystem's device moved >= 90 % of the bytes the workload delivered: "storage";
// < 10 %: "page cache"; between: "mixed" (the share given). On tmpfs or ramfs: "page cache";
// without a block device to read (NFS, ...): "unknown". The device counters are the whole
// device's: another process's I/O in the phase counts too.
// Saturated: the busiest member device was busy (a request in flight) >= 95 % of the phase with a
// queue (>= 2 requests in flight on average): busy alone is no limit (one request at a time keeps
// a drive that could serve 32 "busy").
// Bound, the first that holds: "think time" (simulated compute kept the accelerators >= 90 %
// busy, or filled >= half the workers' time), "device" (saturated, the bytes from storage),
// "client CPU" (the process used >= 85 % of min(workers, cores) cores), "queue depth" (the
// workers kept >= 90 % of their slots in flight and the device had room), else "unknown".
#include <vector>

#include <nlohmann/json.hpp>

#include "core/disk_stats.hpp"

namespace aistor {

[[nodiscard]] nlohmann::json device_figures(const DiskSet& set,
                                            const std::vector<DiskCounters>& before,
                                            const std::vector<DiskCounters>& after, double wall_s);

[[nodiscard]] nlohmann::json phase_verdict(const nlohmann::json& phase, unsigned cores);

}  // namespace aistor
