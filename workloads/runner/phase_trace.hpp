#pragma once
// A phase's `trace`: checked before the phase runs (a file that is there must be an aistor trace,
// so a typo never replaces a config or a dataset), written after it from the workers' logs.
#include <nlohmann/json.hpp>

#include "workloads/runner/phase_ways.hpp"
#include "workloads/runner/plan.hpp"

namespace aistor {

// Throws InputError when the phase's trace cannot be written: its workers are not threads of this
// process (`processes` clients, or MPI ranks), or the path holds something other than a trace.
void check_trace_target(const PhaseSpec& spec, unsigned processes, bool ranks);

// Writes the trace (durably); returns what the report says of it. Throws SystemError on failure.
[[nodiscard]] nlohmann::json write_phase_trace(const PhaseSpec& spec, const WorkersRan& ran,
                                               const nlohmann::json& engine);

}  // namespace aistor
