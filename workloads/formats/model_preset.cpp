#include "workloads/formats/model_preset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "core/error.hpp"

namespace aistor::formats {
namespace {

struct Preset {
  const char* name;
  ModelShape shape;
};

// Layers, hidden, FFN, K/V width (head_dim x kv_heads), vocabulary, from the models' configs.
const Preset kPresets[] = {
    {"qwen2-7b", {28, 3584, 18944, 512, 152064, "qwen2"}},
    {"7b", {28, 3584, 18944, 512, 152064, "qwen2"}},
    {"qwen2.5-32b", {64, 5120, 27648, 1024, 152064, "qwen2"}},
    {"32b", {64, 5120, 27648, 1024, 152064, "qwen2"}},
    {"llama2-7b", {32, 4096, 11008, 4096, 32000, "llama"}},
};

}  // namespace

std::vector<std::string> model_presets() {
  std::vector<std::string> names;
  for (const auto& p : kPresets)
    names.emplace_back(p.name);
  return names;
}

ModelShape model_preset(const std::string& name) {
  for (const auto& p : kPresets)
    if (name == p.name) return p.shape;
  throw InputError(fmt::format("unknown model preset \"{}\" (known: {})", name,
                               fmt::join(model_presets(), ", ")));
}

ModelShape scaled(ModelShape shape, double scale) {
  shape.layers = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::llround(static_cast<double>(shape.layers) * scale)));
  return shape;
}

ModelShape model_shape_of_size(std::uint64_t bytes, const std::string& dtype) {
  ModelShape s = model_preset("llama2-7b");
  s.layers = 1;
  // The bytes outside the layers (embeddings, final norm, output) and those of one layer.
  auto split = [&](const ModelShape& shape) {
    std::uint64_t fixed = 0, per_layer = 0;
    for (const auto& t : model_tensors(shape, ModelFormat::safetensors, dtype)) {
      std::uint64_t e = 1;
      for (auto d : t.shape)
        e *= d;
      (t.name.find(".layers.") != std::string::npos ? per_layer : fixed) +=
          tensor_bytes(t.dtype, e);
    }
    return std::pair{fixed, per_layer};
  };
  auto [fixed, per_layer] = split(s);
  // Smaller than one layer of LLaMA-2-7B: a narrower model of the same form, widths halved
  // (kept multiples of 256, so every block dtype fits) and the vocabulary with them.
  while (fixed + per_layer > bytes && s.hidden > 256) {
    s.hidden /= 2;
    s.kv_dim = std::max<std::uint64_t>(256, s.kv_dim / 2);
    s.ffn = std::max<std::uint64_t>(256, (s.ffn / 2 + 255) / 256 * 256);
    s.vocab = std::max<std::uint64_t>(4096, s.vocab / 2);
    std::tie(fixed, per_layer) = split(s);
  }
  s.layers = bytes > fixed ? std::max<std::uint64_t>(1, (bytes - fixed) / per_layer) : 1;
  return s;
}

ModelShape model_shape_of_parameters(std::uint64_t parameters, const std::string& dtype) {
  // Whole 256-element blocks, so block dtypes (Q4_K...) have a byte count.
  return model_shape_of_size(tensor_bytes(dtype, (parameters + 255) / 256 * 256), dtype);
}

std::vector<TensorSpec> model_tensors(const ModelShape& s, ModelFormat format,
                                      const std::string& dtype) {
  const bool gguf = format == ModelFormat::gguf;
  const std::string norm = gguf ? "F32" : dtype;
  // GGUF lists ne[0] (the row length) first; safetensors lists [rows, columns].
  auto matrix = [&](std::uint64_t out, std::uint64_t in) {
    return gguf ? std::vector<std::uint64_t>{in, out} : std::vector<std::uint64_t>{out, in};
  };
  std::vector<TensorSpec> t;
  t.push_back(
      {gguf ? "token_embd.weight" : "model.embed_tokens.weight", dtype, matrix(s.vocab, s.hidden)});
  for (std::uint64_t l = 0; l < s.layers; ++l) {
    auto name = [&](const char* g, const char* hf) {
      return gguf ? fmt::format("blk.{}.{}.weight", l, g)
                  : fmt::format("model.layers.{}.{}.weight", l, hf);
    };
    t.push_back({name("attn_norm", "input_layernorm"), norm, {s.hidden}});
    t.push_back({name("attn_q", "self_attn.q_proj"), dtype, matrix(s.hidden, s.hidden)});
    t.push_back({name("attn_k", "self_attn.k_proj"), dtype, matrix(s.kv_dim, s.hidden)});
    t.push_back({name("attn_v", "self_attn.v_proj"), dtype, matrix(s.kv_dim, s.hidden)});
    t.push_back({name("attn_output", "self_attn.o_proj"), dtype, matrix(s.hidden, s.hidden)});
    t.push_back({name("ffn_norm", "post_attention_layernorm"), norm, {s.hidden}});
    t.push_back({name("ffn_gate", "mlp.gate_proj"), dtype, matrix(s.ffn, s.hidden)});
    t.push_back({name("ffn_up", "mlp.up_proj"), dtype, matrix(s.ffn, s.hidden)});
    t.push_back({name("ffn_down", "mlp.down_proj"), dtype, matrix(s.hidden, s.ffn)});
  }
  t.push_back({gguf ? "output_norm.weight" : "model.norm.weight", norm, {s.hidden}});
  t.push_back({gguf ? "output.weight" : "lm_head.weight", gguf ? "Q6_K" : dtype,
               matrix(s.vocab, s.hidden)});
  if (gguf && dtype != "Q4_K") t.back().dtype = dtype;
  return t;
}

}  // namespace aistor::formats
