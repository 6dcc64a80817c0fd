#pragma once
// A description of the machine a benchmark ran on, for the report's context block.
//
// host_info() returns {"hostname", "kernel" (uname release), "os" (PRETTY_NAME of
// /etc/os-release), "cpu_model" (first "model name" of /proc/cpuinfo), "cores" (online logical
// CPUs), "memory_bytes" (total RAM)}. It never throws for missing information: a string field that
// cannot be found is "unknown", a number field is null. Thread-safe.
#include <nlohmann/json.hpp>

namespace aistor {

[[nodiscard]] nlohmann::json host_info();

}  // namespace aistor
