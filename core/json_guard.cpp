#include "core/json_guard.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace aistor {

nlohmann::json::parser_callback_t json_depth_guard(std::string origin) {
  return [origin = std::move(origin)](int depth, nlohmann::json::parse_event_t event,
                                      nlohmann::json&) {
    using E = nlohmann::json::parse_event_t;
    if ((event == E::object_start || event == E::array_start) && depth >= kMaxJsonDepth) {
      throw InputError(fmt::format("{}: nested more than {} levels deep", origin, kMaxJsonDepth));
    }
    return true;
  };
}

}  // namespace aistor
