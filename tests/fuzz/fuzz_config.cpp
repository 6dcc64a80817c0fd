// The config loader: text with comments → JSON → a validated, expanded plan. Hostile configs may
// only be refused with an InputError.
//
// A structure-aware mutator beside libFuzzer's byte mutations: it parses the input as JSON and
// changes one node the way hostile configs do — numbers at the edges of 32 and 64 bits, sizes and
// durations past any limit, null, deeper nesting, longer matrix lists, a key given twice, a known
// key where it does not belong — so the fuzzer reaches matrix expansion and workload shapes with
// valid JSON instead of spending its time on syntax errors.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "workloads/runner/plan.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

const std::vector<nlohmann::json>& edge_values() {
  static const std::vector<nlohmann::json> v{0,
                                             -1,
                                             1,
                                             4096,
                                             4097,
                                             2147483647,
                                             2147483648ULL,
                                             4294967295ULL,
                                             4294967296ULL,
                                             9223372036854775807LL,
                                             9223372036854775808ULL,
                                             18446744073709551615ULL,
                                             1e300,
                                             -1e300,
                                             0.5,
                                             nullptr,
                                             true,
                                             "",
                                             "16EiB",
                                             "18446744073709551615",
                                             "1e300s",
                                             "584y",
                                             "1000000h",
                                             "0.1ns",
                                             "4KiB",
                                             "-4KiB",
                                             nlohmann::json::array(),
                                             nlohmann::json::object()};
  return v;
}

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> k{
      "workload",     "name",         "engine",     "matrix",     "search",      "repeat",
      "cache",        "size",         "threads",    "block_size", "queue_depth", "runtime",
      "epochs",       "accelerators", "model",      "parallel",   "tp",          "pp",
      "dp",           "layers",       "hidden",     "ffn",        "vocab",       "heads",
      "clients",      "dataset",      "samples",    "files",      "params",      "verify",
      "path",         "dir",          "batch_size", "ops",        "io_size",     "users",
      "block_tokens", "tiers",        "context",    "layout",     "sync",        "generate_tokens",
      "rate"};
  return k;
}

void collect(nlohmann::json& j, std::vector<nlohmann::json*>& out) {
  out.push_back(&j);
  if (j.is_structured()) {
    for (auto& child : j)
      collect(child, out);
  }
}

std::string mutate(nlohmann::json j, std::mt19937_64& rng) {
  std::vector<nlohmann::json*> nodes;
  collect(j, nodes);
  nlohmann::json& n = *nodes[rng() % nodes.size()];
  const auto& edges = edge_values();
  const auto& keys = known_keys();
  switch (rng() % 7) {
    case 0:
      n = edges[rng() % edges.size()];
      break;
    case 1:  // deeper
      n = nlohmann::json::array({n});
      break;
    case 2:  // a longer list (matrix axes multiply)
      if (n.is_array() && !n.empty()) {
        const auto copy = n;
        for (std::size_t i = 0, k = 1 + rng() % 8; i < k; ++i)
          n.push_back(copy[rng() % copy.size()]);
      } else {
        n = nlohmann::json::array({n, n, n});
      }
      break;
    case 3:  // a known key where it may not belong
      if (n.is_object()) n[keys[rng() % keys.size()]] = edges[rng() % edges.size()];
      break;
    case 4:  // a matrix over a known key
      if (n.is_object())
        n["matrix"] = {{keys[rng() % keys.size()], {edges[rng() % edges.size()], 1, 2}}};
      break;
    case 5:  // a string becomes a known key's name (workload, engine, preset names)
      if (n.is_string()) n = keys[rng() % keys.size()];
      break;
    default:
      break;
  }
  std::string text = j.dump();
  if (rng() % 8 == 0) {
    // A key given twice, which JSON parsers silently collapse.
    if (const auto at = text.find("{\""); at != std::string::npos) {
      const auto end = text.find('"', at + 2);
      if (end != std::string::npos) text.insert(at + 1, text.substr(at + 1, end - at) + ":1,");
    }
  }
  return text;
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false,
                                 /*ignore_comments=*/true);
  if (j.is_discarded() || rng() % 4 == 0) return LLVMFuzzerMutate(data, size, max_size);
  const std::string out = mutate(std::move(j), rng);
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

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
