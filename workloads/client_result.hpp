#pragma once
// What a phase run as clients (forked processes, or MPI ranks) hands back to its workload
// (Workload::clients_done): part of the workload interface, so a workload that runs as clients
// (storm, checkpoint) reads these without the runner's fork and rank machinery.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/recorder.hpp"
#include "engines/pump.hpp"

namespace aistor {

// One client's end of a phase, as the parent saw it.
struct ClientResult {
  unsigned index = 0;
  int pid = 0;
  std::string host;                  // where it ran
  int rank = -1;                     // its MPI rank (-1: a forked client)
  std::int64_t clock_offset_ns = 0;  // added to its own clock's times to get the run's
  std::int64_t clock_rtt_ns = 0;     // the round trip that measured it (0: the same process tree)
  std::string error;                 // empty: the client ran to its end
  unsigned io_failed_workers = 0;    // its workers that ended on an I/O error
  std::uint64_t released_ns = 0;     // when it left the start barrier (0: never)
  std::uint64_t bytes = 0;           // delivered by its recorder
  std::uint64_t ops = 0;
  std::uint64_t first_submit_ns = 0;  // 0: submitted nothing
  std::uint64_t last_done_ns = 0;
  std::optional<std::uint64_t> storage_read_bytes;  // its /proc/self/io delta over the run
  std::optional<std::uint64_t> storage_write_bytes;
  std::uint64_t bytes_at_first_done = 0;  // delivered when the first client finished
  nlohmann::json metrics;                 // the workload's client_summary() (null when none)
};

struct ClientRun {
  std::uint64_t start_ns = 0;       // the barrier's release: the phase's time zero
  std::uint64_t first_done_ns = 0;  // when the first client's workers had all ended
  std::vector<ClientResult> clients;
  Recorder merged{0, 1};            // every client's recorder, on the phase's time zero
  std::vector<std::string> errors;  // per worker: its exception, else empty
  std::vector<PumpOutcome> ends;    // per worker, client by client
  nlohmann::json engine;            // the first client's first engine, described
};

}  // namespace aistor
