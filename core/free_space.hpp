#pragma once
// The free-space check that precedes every write phase and every generated dataset or model: the
// bytes it will write plus headroom (1 %, at least 64 MiB) must fit in what statvfs says an
// unprivileged writer may use.
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace aistor {

// Throws InputError "<dir>: not enough free space for <what>: ..." when they do not fit,
// SystemError when statvfs fails.
void require_free_space(const std::filesystem::path& dir, std::uint64_t bytes,
                        std::string_view what);

}  // namespace aistor
