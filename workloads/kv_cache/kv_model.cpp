#include "workloads/kv_cache/kv_model.hpp"

#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/config_node.hpp"
#include "core/error.hpp"

namespace aistor {
namespace {

struct Preset {
  const char* name;
  std::uint32_t layers;
  std::uint32_t kv_heads;
  std::uint32_t head_dim;
};

// From the models' published configs (num_hidden_layers, num_key_value_heads, hidden_size /
// num_attention_heads); fp16 as MLPerf's benchmark stores them.
constexpr std::array kPresets{
    Preset{"llama2-7b", 32, 32, 128},    // multi-head attention: 512 KiB a token
    Preset{"llama3.1-8b", 32, 8, 128},   // grouped-query attention: 128 KiB
    Preset{"llama3.1-70b", 80, 8, 128},  // 320 KiB
    Preset{"llama3.2-1b", 16, 8, 64},    // 32 KiB
    Preset{"mistral-7b", 32, 8, 128},    // 128 KiB
    Preset{"tiny", 4, 2, 64},            // 2 KiB: for tests and quick runs
};

struct Dtype {
  const char* name;
  std::uint32_t bytes;
};
constexpr std::array kDtypes{Dtype{"fp16", 2}, Dtype{"bf16", 2}, Dtype{"fp8", 1}, Dtype{"fp32", 4}};

}  // namespace

std::vector<std::string> kv_model_presets() {
  std::vector<std::string> names;
  for (const auto& p : kPresets)
    names.emplace_back(p.name);
  return names;
}

KvModel kv_model_preset(const std::string& name) {
  for (const auto& p : kPresets) {
    if (name == p.name) {
      KvModel m;
      m.name = p.name;
      m.layers = p.layers;
      m.kv_heads = p.kv_heads;
      m.head_dim = p.head_dim;
      return m;
    }
  }
  // MLPerf's own name for the 70B model.
  if (name == "llama3.1-70b-instruct") return kv_model_preset("llama3.1-70b");
  throw InputError(
      fmt::format("unknown model \"{}\" (known: {})", name, fmt::join(kv_model_presets(), ", ")));
}

KvModel KvModel::parse(ConfigNode& phase) {
  KvModel m;
  const nlohmann::json* raw = phase.raw("model");
  if (raw == nullptr)
    phase.fail("model", "required: a preset name or {layers, kv_heads, head_dim}");
  if (raw->is_string()) {
    try {
      m = kv_model_preset(raw->get<std::string>());
    } catch (const InputError& e) {
      phase.fail("model", e.what());
    }
  } else {
    ConfigNode node = phase.object("model");
    m.name = "custom";
    m.layers = static_cast<std::uint32_t>(node.integer("layers", std::nullopt, 1, 4096));
    m.kv_heads = static_cast<std::uint32_t>(node.integer("kv_heads", std::nullopt, 1, 4096));
    m.head_dim = static_cast<std::uint32_t>(node.integer("head_dim", std::nullopt, 1, 65536));
    std::vector<std::string> names;
    for (const auto& d : kDtypes)
      names.emplace_back(d.name);
    m.dtype = node.string("dtype", "fp16");
    bool known = false;
    for (const auto& d : kDtypes) {
      if (m.dtype == d.name) {
        m.dtype_bytes = d.bytes;
        known = true;
      }
    }
    if (!known) {
      node.fail("dtype",
                fmt::format("unknown dtype \"{}\" (known: {})", m.dtype, fmt::join(names, ", ")));
    }
    node.finish();
  }
  m.tp = static_cast<std::uint32_t>(phase.integer("tp", 1, 1, 4096));
  if (m.kv_heads % m.tp != 0) {
    phase.fail("tp", fmt::format("{} does not divide the model's {} KV heads (each tensor-parallel "
                                 "rank holds whole heads)",
                                 m.tp, m.kv_heads));
  }
  return m;
}

nlohmann::json KvModel::to_json() const {
  return {{"name", name},
          {"layers", layers},
          {"kv_heads", kv_heads},
          {"head_dim", head_dim},
          {"dtype", dtype},
          {"tp", tp},
          {"bytes_per_token", bytes_per_token()}};
}

}  // namespace aistor
