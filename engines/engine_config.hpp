#pragma once
// The options of every engine, parsed once from a config's "engine" object.
//
// One struct for all engines so that a config can be validated without opening anything; each
// engine declares which keys it accepts (EngineInfo::options) and any other key is an error.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/fault_rule.hpp"

namespace aistor {

class ConfigNode;

enum class Madvise : std::uint8_t { none, normal, sequential, random, willneed };

struct EngineConfig {
  std::string name = "pread";
  unsigned queue_depth = 1;  // requests in flight per worker
  bool direct = false;       // O_DIRECT (pread, io_uring); always on for odirect
  // io_uring
  bool sqpoll = false;
  bool fixed_buffers = true;
  bool registered_files = true;
  // Requests handed to the kernel per io_uring_enter. 1 (the default, as fio's
  // iodepth_batch_submit=1) sends each as soon as it is ready; 0 sends all that one pump round
  // prepared in one call (fewer syscalls; but on a virtio disk with mq-deadline the plugged batch
  // cost ~15 % of 4 KiB random IOPS at QD32, measured side by side).
  unsigned submit_batch = 1;
  // posix_fadvise on every file opened (pread, odirect, io_uring): "random" turns readahead off
  Madvise fadvise = Madvise::none;
  // pread, odirect, io_uring (and the gpu engines' staging through them): buffers of 2 MiB or
  // more are advised MADV_HUGEPAGE (transparent huge pages where the kernel has them)
  bool huge_pages = false;
  // mmap
  Madvise madvise = Madvise::none;
  bool populate = false;  // MAP_POPULATE
  bool touch = false;     // reads touch one byte per page instead of copying out
  // gpu, gpu-pageable (and fault): a host engine reads into staging buffers that are copied to
  // device memory
  std::string host_engine = "io_uring";      // pread | odirect | io_uring | mmap (also fault's)
  unsigned staging_buffers = 4;              // K
  std::uint64_t staging_size = 16ULL << 20;  // S: bytes per staging buffer (and per copy)
  unsigned streams = 2;                      // M: copy streams
  std::vector<int> gpus{0};                  // worker w copies to gpus[w % gpus.size()]
  bool verify = false;  // checksum each copy on the GPU against the staging bytes
  // fault: what to inject into the host engine's requests, and the seed of the rates
  std::vector<FaultRule> faults;
  std::uint64_t fault_seed = 1;
  // Not a config key: the runner sets it to the worker's index before making the engine.
  unsigned worker = 0;
};

// Parses and checks `node` (the phase's "engine" object). Throws InputError with the JSON path.
[[nodiscard]] EngineConfig parse_engine_config(ConfigNode& node);
[[nodiscard]] nlohmann::json to_json(const EngineConfig& config);
[[nodiscard]] const char* to_string(Madvise advice) noexcept;

}  // namespace aistor
