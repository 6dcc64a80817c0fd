#pragma once
// A bound on the JSON aistor reads from files it did not write itself (manifests, reports, a
// safetensors header, --set values): a document nested deeper than kMaxJsonDepth is refused with
// one line, before anything walks it (copying, dumping or comparing a JSON value recurses, and
// 100,000 levels overflow the stack).
#include <string>

#include <nlohmann/json.hpp>

namespace aistor {

inline constexpr int kMaxJsonDepth = 128;

// A callback for nlohmann::json::parse: throws InputError "<origin>: nested more than 128 levels
// deep" at the first value past the bound; keeps every value.
[[nodiscard]] nlohmann::json::parser_callback_t json_depth_guard(std::string origin);

}  // namespace aistor
