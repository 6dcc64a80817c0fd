#pragma once
// The alignment a workload must give its requests' offsets and lengths on an engine: 1 for
// buffered I/O; for a direct engine the O_DIRECT offset alignment of `probe` (a regular file:
// statx reports it for files only), at least 512, or 4096 when it cannot be found.
#include <cstdint>
#include <filesystem>

#include "engines/engine.hpp"

namespace aistor {

[[nodiscard]] std::uint32_t request_alignment(Engine& engine, const std::filesystem::path& probe);

}  // namespace aistor
