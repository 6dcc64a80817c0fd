#include "workloads/common/request_alignment.hpp"

#include <algorithm>

#include "core/target_info.hpp"

namespace aistor {

std::uint32_t request_alignment(Engine& engine, const std::filesystem::path& probe) {
  if (!engine.describe().value("direct", false)) return 1;
  const auto a = dio_alignment(probe);
  return a ? std::max<std::uint32_t>(a->offset, 512) : 4096;
}

}  // namespace aistor
