// The config loader: text with comments → JSON → a validated, expanded plan. Hostile configs may
// only be refused with an InputError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "workloads/runner/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = aistor::parse_json_with_comments(text, "fuzz.json");
    // Validation only: a plan is never run here, and its directory is never created.
    (void)aistor::make_plan(config, std::filesystem::path("/nonexistent/aistor-fuzz"));
  } catch (const aistor::InputError&) {
  }
  return 0;
}
