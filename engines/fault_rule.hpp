#pragma once
// What the fault engine injects: a list of rules, each a kind of fault, which requests it may
// hit, and when it fires (a rate, a byte offset, or after so many bytes).
//
// Kinds: `eio` (the request fails with EIO, nothing moves), `enospc` (a write fails with ENOSPC),
// `short` (only the first half of the request moves and the completion says so), `latency` (the
// completion arrives `delay` late), and the silent write corruptions a verifying reader must
// catch: `misdirect` (the block lands one block away), `lost` (nothing is written, success is
// reported) and `torn` (only the first half is written, success is reported).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/engine.hpp"

namespace aistor {

class ConfigNode;

enum class FaultKind : std::uint8_t { eio, enospc, short_io, latency, misdirect, lost, torn };

struct FaultRule {
  FaultKind kind = FaultKind::eio;
  std::optional<Op> op;  // only reads or only writes; absent: both
  std::string file;      // only files whose path contains this; empty: every file
  // Exactly one trigger: a probability per matching request, a byte offset the request must
  // cover, or the bytes of matching requests after which every one faults.
  double rate = 0;
  std::optional<std::uint64_t> at;
  std::optional<std::uint64_t> after;
  std::uint64_t count = INT64_MAX;  // faults at most, per engine (that is, per worker)
  std::uint64_t delay_ns = 0;       // latency only
};

// Parses the list at `key` of `node` (each entry's keys checked by path). Throws InputError.
[[nodiscard]] std::vector<FaultRule> parse_fault_rules(ConfigNode& node, std::string_view key);
[[nodiscard]] nlohmann::json to_json(const FaultRule& rule);
[[nodiscard]] const char* to_string(FaultKind kind) noexcept;

}  // namespace aistor
