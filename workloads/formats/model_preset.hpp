#pragma once
// Tensor lists of real model shapes, for `aistor gen model`: the seed table's ollama models
// (deepseek-r1:7b is Qwen2-7B, deepseek-r1:32b and QwQ:32b are Qwen2.5-32B) and LLaMA-2-7B, with
// the names llama.cpp (GGUF) or Hugging Face (safetensors) give them. `scale` keeps every tensor's
// shape and scales the number of layers (at least one), so a scaled file reads like the real one.
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/formats/model_file.hpp"

namespace aistor::formats {

struct ModelShape {
  std::uint64_t layers = 0;
  std::uint64_t hidden = 0;
  std::uint64_t ffn = 0;
  std::uint64_t kv_dim = 0;  // hidden / heads * kv_heads
  std::uint64_t vocab = 0;
  std::string arch = "llama";  // llama.cpp's architecture name: "llama" or "qwen2"
};

// Known presets: "qwen2-7b" (alias "7b"), "qwen2.5-32b" (alias "32b"), "llama2-7b".
[[nodiscard]] std::vector<std::string> model_presets();
// InputError for an unknown name.
[[nodiscard]] ModelShape model_preset(const std::string& name);
// LLaMA-2-7B's layer shape with as many layers as make about `bytes` in `dtype` (at least one);
// below one such layer (about 0.9 GB in BF16), the same form with widths and vocabulary halved
// until one layer fits (down to hidden 256: a few MB).
[[nodiscard]] ModelShape model_shape_of_size(std::uint64_t bytes, const std::string& dtype);
// The same form with about `parameters` elements (those bytes in `dtype`, as model_shape_of_size).
[[nodiscard]] ModelShape model_shape_of_parameters(std::uint64_t parameters,
                                                   const std::string& dtype);
[[nodiscard]] ModelShape scaled(ModelShape shape, double scale);

// The tensors, in load order: embeddings, each layer's attention and MLP, final norm, output.
// `dtype` for the matrices (GGUF: a quantized type such as "Q4_K" is typical; safetensors: "BF16");
// norms are F32 in GGUF and `dtype` in safetensors.
[[nodiscard]] std::vector<TensorSpec> model_tensors(const ModelShape& shape, ModelFormat format,
                                                    const std::string& dtype);

}  // namespace aistor::formats
