#include "workloads/formats/gguf_metadata.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/splitmix.hpp"

namespace aistor::formats {
namespace {

// llama.cpp's LLAMA_FTYPE for the file's main tensor type.
std::uint32_t file_type(const std::string& dtype) {
  static const std::pair<const char*, std::uint32_t> kTypes[] = {
      {"F32", 0},   {"F16", 1},   {"Q4_0", 2},  {"Q4_1", 3},  {"Q8_0", 7},
      {"Q5_0", 8},  {"Q5_1", 9},  {"Q2_K", 10}, {"Q3_K", 12}, {"Q4_K", 15},
      {"Q5_K", 17}, {"Q6_K", 18}, {"BF16", 32}};
  for (const auto& [name, id] : kTypes)
    if (dtype == name) return id;
  return 0;
}

// A byte as GPT-2's byte-level vocabulary shows it: printable ASCII as itself, else a character
// from U+0100 on (two bytes of UTF-8).
std::string byte_token(unsigned b) {
  if (b > 32 && b < 127) return std::string(1, static_cast<char>(b));
  const unsigned cp = 0x100 + b;
  return {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
}

// A merged token of 2 to 12 letters (mean about 7, as in BPE vocabularies), half of them with
// the leading-space marker ("Ġ", or SentencePiece's "▁").
std::string word(std::uint64_t& state, const char* space) {
  const auto r = splitmix64(state);
  std::string w = (r & 1) ? space : "";
  const auto n = 2 + (r >> 8) % 11;
  for (std::uint64_t i = 0; i < n; ++i)
    w.push_back(static_cast<char>('a' + (r >> (16 + 3 * (i % 16))) % 26));
  return w;
}

constexpr const char* kChatTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

void add_qwen_tokenizer(std::uint64_t vocab, nlohmann::json& m) {
  // The byte tokens, the merged ones, then the control tokens at the end.
  const std::uint64_t specials = std::min<std::uint64_t>(22, vocab / 4);
  nlohmann::json tokens = nlohmann::json::array();
  nlohmann::json types = nlohmann::json::array();
  nlohmann::json merges = nlohmann::json::array();
  std::uint64_t state = 0x51e7;
  for (std::uint64_t i = 0; i < vocab; ++i) {
    if (i < 256 && i + specials < vocab) {
      tokens.push_back(byte_token(static_cast<unsigned>(i)));
      types.push_back(1);
    } else if (i + specials < vocab) {
      tokens.push_back(word(state, "\xC4\xA0"));
      types.push_back(1);
      merges.push_back(word(state, "\xC4\xA0") + " " + word(state, ""));
    } else {
      tokens.push_back(fmt::format("<|extra_{}|>", i + specials - vocab));
      types.push_back(3);
    }
  }
  m["tokenizer.ggml.model"] = "gpt2";
  m["tokenizer.ggml.pre"] = "qwen2";
  m["tokenizer.ggml.tokens"] = std::move(tokens);
  m["tokenizer.ggml.token_type"] = std::move(types);
  m["tokenizer.ggml.merges"] = std::move(merges);
  m["tokenizer.ggml.eos_token_id"] = vocab - specials;
  m["tokenizer.ggml.padding_token_id"] = vocab - specials;
  m["tokenizer.ggml.bos_token_id"] = vocab - specials;
  m["tokenizer.ggml.add_bos_token"] = false;
  m["tokenizer.chat_template"] = kChatTemplate;
}

void add_llama_tokenizer(std::uint64_t vocab, nlohmann::json& m) {
  // SentencePiece: <unk>, <s>, </s>, the 256 byte fallbacks, then the pieces with their scores.
  nlohmann::json tokens = nlohmann::json::array();
  nlohmann::json types = nlohmann::json::array();
  nlohmann::json scores = nlohmann::json::array();
  std::uint64_t state = 0x11a3;
  for (std::uint64_t i = 0; i < vocab; ++i) {
    if (i < 3) {
      tokens.push_back(i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
      types.push_back(i == 0 ? 2 : 3);
    } else if (i < 259) {
      tokens.push_back(fmt::format("<0x{:02X}>", i - 3));
      types.push_back(6);
    } else {
      tokens.push_back(word(state, "\xE2\x96\x81"));
      types.push_back(1);
    }
    scores.push_back(i < 259 ? 0.0 : -static_cast<double>(i - 259));
  }
  m["tokenizer.ggml.model"] = "llama";
  m["tokenizer.ggml.tokens"] = std::move(tokens);
  m["tokenizer.ggml.scores"] = std::move(scores);
  m["tokenizer.ggml.token_type"] = std::move(types);
  m["tokenizer.ggml.bos_token_id"] = 1;
  m["tokenizer.ggml.eos_token_id"] = 2;
  m["tokenizer.ggml.unknown_token_id"] = 0;
  m["tokenizer.ggml.add_bos_token"] = true;
}

}  // namespace

nlohmann::json gguf_metadata(const ModelShape& shape, const std::string& dtype) {
  const bool qwen = shape.arch == "qwen2";
  const std::string& a = shape.arch;
  const std::uint64_t head_dim = std::min<std::uint64_t>(128, shape.hidden);
  const std::uint64_t heads = std::max<std::uint64_t>(1, shape.hidden / head_dim);
  const std::uint64_t kv_heads = std::max<std::uint64_t>(1, shape.kv_dim / head_dim);
  nlohmann::json m = nlohmann::json::object();
  m["general.architecture"] = a;
  m["general.name"] = qwen ? "Qwen2" : "LLaMA v2";
  m["general.file_type"] = file_type(dtype);
  m["general.quantization_version"] = 2;
  m[a + ".context_length"] = qwen ? 32768 : 4096;
  m[a + ".embedding_length"] = shape.hidden;
  m[a + ".block_count"] = shape.layers;
  m[a + ".feed_forward_length"] = shape.ffn;
  m[a + ".attention.head_count"] = heads;
  m[a + ".attention.head_count_kv"] = kv_heads;
  m[a + ".attention.layer_norm_rms_epsilon"] = qwen ? 1e-6 : 1e-5;
  m[a + ".rope.freq_base"] = qwen ? 1000000.0 : 10000.0;
  if (qwen) {
    add_qwen_tokenizer(shape.vocab, m);
  } else {
    add_llama_tokenizer(shape.vocab, m);
  }
  return m;
}

}  // namespace aistor::formats
