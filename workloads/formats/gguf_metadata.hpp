#pragma once
// The metadata a GGUF file of a real model carries, as ollama's and llama.cpp's files do: the
// architecture's hyperparameters (<arch>.context_length, embedding_length, block_count,
// feed_forward_length, attention.head_count(_kv), layer-norm epsilon, RoPE base) and the
// tokenizer (tokenizer.ggml.model, tokens, token types, merges or scores, special token ids, a
// chat template) with the preset's real vocabulary size. The tokenizer is most of a header —
// megabytes for a 152k vocabulary — and so sets the time to the first tensor. Token strings are
// synthetic (seeded, of realistic lengths); the structure and sizes are the real ones.
#include <string>

#include <nlohmann/json.hpp>

#include "workloads/formats/model_preset.hpp"

namespace aistor::formats {

[[nodiscard]] nlohmann::json gguf_metadata(const ModelShape& shape, const std::string& dtype);

}  // namespace aistor::formats
