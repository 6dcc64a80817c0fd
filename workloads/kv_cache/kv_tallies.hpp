#pragma once
// What one kv-cache worker counted and timed; merged into the phase's figures.
#include <array>
#include <cstdint>
#include <map>

#include <nlohmann/json.hpp>

#include "core/histogram.hpp"
#include "workloads/kv_cache/kv_tiers.hpp"

namespace aistor {

struct KvTierTallies {
  std::uint64_t hits = 0;         // entries found here by a lookup
  std::uint64_t read_bytes = 0;   // bytes read from here into the top tier (hits, decode)
  std::uint64_t placed = 0;       // new entries written here
  std::uint64_t write_bytes = 0;  // bytes written here: new entries and entries moved in
  std::uint64_t moved_in = 0;     // entries demoted into this tier
  std::uint64_t moved_out = 0;    // entries demoted out of it (or dropped, for the last)
  std::uint64_t dropped = 0;      // entries that left the cache from here
  // Per request: the time to read its hits in this tier into the top tier, and to write its
  // entries (with their fsync where the policy syncs) into it.
  LatencyHistogram read_ns;
  LatencyHistogram write_ns;
};

struct KvTallies {
  std::uint64_t requests = 0;
  std::uint64_t lookups = 0;  // entries a request wanted from the cache
  std::uint64_t misses = 0;
  std::uint64_t decode_reads = 0;  // entries re-read while decoding (not lookups)
  std::uint64_t unplaced = 0;      // entries that fit in no tier
  std::uint64_t context_tokens = 0;
  std::uint64_t cached_tokens = 0;  // served from the cache
  std::uint64_t generated_tokens = 0;
  std::array<KvTierTallies, kKvTiers> tiers;
  LatencyHistogram prefix_ns;    // per request: its cached prefix loaded into the top tier
  LatencyHistogram storage_ns;   // per request: the sum of its storage operations (MLPerf's)
  LatencyHistogram request_ns;   // per request: from arrival to its last token
  LatencyHistogram queue_ns;     // per request with a rate: arrival to start
  LatencyHistogram write_op_ns;  // per storage write (the entries of one step): data and fsync
  LatencyHistogram read_op_ns;   // per storage read (the entries of one step): fadvise and data
  LatencyHistogram sync_ns;      // per storage write: its fsync part
  LatencyHistogram advise_ns;    // per storage read: its fadvise part
  std::uint64_t verified = 0;    // chunks checked
  std::uint64_t mismatches = 0;
  // Storage entries' sizes (bytes -> entries), as written and as read.
  std::map<std::uint64_t, std::uint64_t> written_sizes;
  std::map<std::uint64_t, std::uint64_t> read_sizes;

  void merge(const KvTallies& o);
};

}  // namespace aistor
