#pragma once
// Model weight files: safetensors and GGUF (v2, v3), parsed from their headers and written from a
// tensor list. What a model-load workload needs to know of a file: where each tensor's bytes are.
//
// Parsing checks everything a loader relies on and throws InputError naming the file and the byte
// offset: a file shorter than its header, a header length past the end of the file, a header that
// is not UTF-8 JSON (safetensors), a bad magic or version (GGUF), an unknown dtype, a tensor whose
// size does not match its shape and dtype, offsets out of the data section, tensors that overlap,
// and (safetensors) bytes no tensor covers. Writing produces files that the reference loaders read:
// safetensors data 8-byte aligned after a space-padded JSON header; GGUF tensors aligned to
// general.alignment (32 unless given).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor::formats {

enum class ModelFormat : std::uint8_t { safetensors, gguf };

struct TensorInfo {
  std::string name;
  std::string dtype;                 // "BF16", "F16", "F32", "Q4_0", "Q8_0", "Q4_K", ...
  std::vector<std::uint64_t> shape;  // safetensors order (outermost first); GGUF ne[] order
  std::uint64_t offset = 0;          // absolute byte offset in the file
  std::uint64_t bytes = 0;
  friend bool operator==(const TensorInfo&, const TensorInfo&) = default;
};

struct ModelFile {
  ModelFormat format = ModelFormat::safetensors;
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;
  std::uint64_t data_offset = 0;    // where the first tensor byte may be
  std::uint64_t data_bytes = 0;     // bytes the tensors cover
  unsigned version = 0;             // GGUF version; 0 for safetensors
  std::vector<TensorInfo> tensors;  // in file order (ascending offset)
  nlohmann::json metadata = nlohmann::json::object();
};

[[nodiscard]] const char* to_string(ModelFormat f) noexcept;
// Whether `path` is a model file by name (.safetensors, .gguf) or by the GGUF magic.
[[nodiscard]] bool looks_like_model_file(const std::filesystem::path& path);
// What `aistor inspect` reports of a parsed model file: format, tensors, bytes per dtype, the
// header's size and what was checked.
[[nodiscard]] nlohmann::json inspection_of(const ModelFile& m);
// The format by the file's first bytes ("GGUF" magic, else safetensors).
[[nodiscard]] ModelFile read_model_file(const std::filesystem::path& path);
[[nodiscard]] ModelFile parse_safetensors(const std::filesystem::path& path);
[[nodiscard]] ModelFile parse_gguf(const std::filesystem::path& path);

// Bytes of `elements` values of `dtype` (block-quantized types: whole blocks); InputError for an
// unknown dtype or an element count that is not a whole number of blocks.
[[nodiscard]] std::uint64_t tensor_bytes(const std::string& dtype, std::uint64_t elements);

struct TensorSpec {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
};

// Writes the tensors with pseudo-random contents (seeded) and returns the file as parsed back.
// Writes to PATH.tmp and renames, so a file that exists is either the old or the whole new one.
ModelFile write_model_file(const std::filesystem::path& path, ModelFormat format,
                           const std::vector<TensorSpec>& tensors, std::uint64_t seed,
                           const nlohmann::json& metadata = nlohmann::json::object());

}  // namespace aistor::formats
