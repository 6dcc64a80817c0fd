#pragma once
#include <filesystem>

#include "engines/engine_config.hpp"

namespace aistor {

// posix_fadvise over the whole file (nothing for Madvise::none). Throws SystemError naming `path`.
void apply_fadvise(int fd, Madvise advice, const std::filesystem::path& path);

}  // namespace aistor
