#pragma once
// Arrow IPC, read far enough to pack datasets (Hugging Face `datasets` caches are Arrow stream
// files): both the stream format and the file format ("ARROW1" ... footer ... "ARROW1"), a
// schema of any depth, and record batches whose binary-like leaves (binary, utf8, large_binary,
// large_utf8, also inside structs such as an image's {bytes, path}) are read value by value,
// nulls from validity bitmaps included. Other leaf types are listed but not read.
// Errors: contents that are not valid Arrow IPC throw InputError
// "<name>: byte <offset>: <what>"; compressed batches and dictionaries are refused by name.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace aistor {

enum class ArrowType { binary, utf8, large_binary, large_utf8, int_, struct_, other };

[[nodiscard]] const char* arrow_type_name(ArrowType t);
// Variable-length bytes (binary, utf8 and their large forms); the large ones have 64-bit offsets.
[[nodiscard]] bool arrow_binary_like(ArrowType t) noexcept;
[[nodiscard]] bool arrow_large_offsets(ArrowType t) noexcept;
// Whether `file` begins as Arrow IPC does: "ARROW1" (file format) or a continuation marker
// (stream format). False when it cannot be read.
[[nodiscard]] bool looks_like_arrow(const std::filesystem::path& file);

struct ArrowField {
  std::string name;
  ArrowType type = ArrowType::other;
  bool nullable = true;
  std::vector<ArrowField> children;  // a struct's fields
};

// A leaf column of one record batch: its path ("image.bytes") and where its buffers lie.
struct ArrowLeaf {
  std::string path;
  ArrowType type = ArrowType::other;
  std::int64_t length = 0, null_count = 0;
  std::span<const std::byte> validity;  // empty: no nulls (or only the parents' validity)
  std::vector<std::span<const std::byte>> parent_validity;  // enclosing structs' bitmaps
  std::span<const std::byte> offsets, data;

  // The row's value in a binary-like leaf; nullopt when it (or an enclosing struct) is null.
  [[nodiscard]] std::optional<std::span<const std::byte>> value(std::int64_t row) const;
  [[nodiscard]] bool binary_like() const;
  // Entry `row` of a binary-like leaf's offsets (32- or 64-bit as its type says).
  [[nodiscard]] std::int64_t offset(std::int64_t row) const;
};

struct ArrowBatch {
  std::int64_t rows = 0;
  std::uint64_t message_offset = 0;  // where its message (continuation marker first) starts
  std::uint64_t message_bytes = 0;   // the message's framing, flatbuffer and body
  std::uint64_t body_offset = 0;     // where its body starts in the file
  std::uint64_t body_bytes = 0;
  std::vector<ArrowLeaf> leaves;  // depth-first, as the schema lists them
};

// Parses a whole Arrow IPC file held in memory (the caller keeps `bytes` alive).
class ArrowIpcFile {
 public:
  ArrowIpcFile(std::span<const std::byte> bytes, std::string name);

  [[nodiscard]] bool file_format() const { return file_format_; }
  [[nodiscard]] const std::vector<ArrowField>& schema() const { return schema_; }
  [[nodiscard]] const std::vector<ArrowBatch>& batches() const { return batches_; }
  [[nodiscard]] std::int64_t rows() const;

 private:
  void read_file_format(std::span<const std::byte> bytes);
  void read_stream(std::span<const std::byte> bytes, std::uint64_t at, std::uint64_t end);

  std::string name_;
  bool file_format_ = false;
  bool have_schema_ = false;
  std::vector<ArrowField> schema_;
  std::vector<ArrowBatch> batches_;
};

// Parses one record-batch message held in `message` (its bytes from the continuation marker to the
// end of its body), which lies at byte `offset` of `name`, against a schema read before: a reader
// that indexed the file once can read it batch by batch. Leaves point into `message`.
[[nodiscard]] ArrowBatch parse_arrow_batch(std::span<const std::byte> message, std::uint64_t offset,
                                           const std::vector<ArrowField>& schema,
                                           const std::string& name);

}  // namespace aistor
