#pragma once
// The model shape a KV cache stores: bytes of K and V per token, per tensor-parallel shard.
//
// bytes per token = layers x 2 (K and V) x kv_heads x head_dim x dtype bytes / tp. Presets are the
// models MLPerf Storage's KV-cache benchmark uses (its bytes per token: llama2-7b 512 KiB,
// llama3.1-8b and mistral-7b 128 KiB, llama3.1-70b 320 KiB); an explicit shape is an object.
//
// Config: "model": "llama3.1-8b", or
//   "model": {"layers": 32, "kv_heads": 8, "head_dim": 128, "dtype": "fp16"}
// and "tp": the tensor-parallel degree (default 1), which must divide kv_heads.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

class ConfigNode;

struct KvModel {
  std::string name;  // the preset's, or "custom"
  std::uint32_t layers = 0;
  std::uint32_t kv_heads = 0;
  std::uint32_t head_dim = 0;
  std::uint32_t dtype_bytes = 2;
  std::string dtype = "fp16";
  std::uint32_t tp = 1;

  [[nodiscard]] std::uint64_t bytes_per_token() const noexcept {
    return std::uint64_t{layers} * 2 * kv_heads * head_dim * dtype_bytes / tp;
  }
  [[nodiscard]] nlohmann::json to_json() const;

  // Reads "model" and "tp" of `phase`. InputError with the JSON path for an unknown preset, a
  // shape out of range, an unknown dtype, or a tp that does not divide kv_heads.
  [[nodiscard]] static KvModel parse(ConfigNode& phase);
};

[[nodiscard]] std::vector<std::string> kv_model_presets();
// The preset's shape (tp 1); InputError naming the known ones for an unknown name.
[[nodiscard]] KvModel kv_model_preset(const std::string& name);

}  // namespace aistor
