#pragma once
// Writes Arrow IPC stream files (the format of Hugging Face `datasets` cache files): a schema
// message, record batches of binary-like and 64-bit integer columns (also inside structs, such as
// an image's {bytes, path}), and the end-of-stream marker. No nulls, no compression, no
// dictionaries: what the dataset generator needs, read back by ArrowIpcFile and by Apache Arrow.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/unique_fd.hpp"
#include "workloads/formats/arrow_ipc.hpp"

namespace aistor::formats {

// One leaf column's values for one batch.
class ArrowColumn {
 public:
  void append(std::span<const std::byte> value);  // binary-like leaves
  void append(std::int64_t value);                // int leaves (64-bit signed)
  void clear();
  [[nodiscard]] const std::vector<std::int64_t>& offsets() const noexcept { return offsets_; }
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return data_; }

 private:
  std::vector<std::int64_t> offsets_{0};
  std::vector<std::byte> data_;
};

class ArrowStreamWriter {
 public:
  // Creates or truncates `file` and writes the schema message with `metadata` as the schema's
  // custom metadata. Leaf types: binary, utf8, large_binary, large_utf8, int_ (written as
  // int64); struct_ for nesting. Throws SystemError, std::invalid_argument for another type.
  ArrowStreamWriter(const std::filesystem::path& file, std::vector<ArrowField> schema,
                    const std::vector<std::pair<std::string, std::string>>& metadata);

  // One record batch of `rows` rows; `leaves` in the schema's depth-first leaf order, each with
  // `rows` values (std::invalid_argument otherwise). Throws SystemError.
  void write_batch(std::int64_t rows, std::span<const ArrowColumn> leaves);
  // Writes the end-of-stream marker and, with `sync`, fsyncs. Idempotent.
  void finish(bool sync);
  [[nodiscard]] std::uint64_t bytes() const noexcept { return at_; }

 private:
  void write_message(std::span<const std::byte> metadata, std::span<const std::byte> body);

  std::filesystem::path path_;
  UniqueFd fd_;
  std::vector<ArrowField> schema_;
  std::uint64_t at_ = 0;
  bool finished_ = false;
};

}  // namespace aistor::formats
