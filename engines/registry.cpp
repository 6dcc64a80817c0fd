#include "engines/registry.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "engines/io_uring_engine.hpp"
#include "engines/mmap_engine.hpp"
#include "engines/pread_engine.hpp"

namespace aistor {

const std::vector<EngineInfo>& engines() {
  static const std::vector<EngineInfo> all{pread_engine_info(), odirect_engine_info(),
                                           mmap_engine_info(), io_uring_engine_info()};
  return all;
}

const EngineInfo* find_engine(std::string_view name) {
  for (const auto& e : engines()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::unique_ptr<Engine> make_engine(const EngineConfig& config) {
  const EngineInfo* info = find_engine(config.name);
  if (info == nullptr) throw InputError(fmt::format("unknown engine \"{}\"", config.name));
  return info->make(config);
}

}  // namespace aistor
