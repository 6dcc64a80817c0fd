#pragma once
// Generated datasets in Hugging Face's Arrow shape (the cache files `datasets` writes: Arrow IPC
// streams named data-NNNNN-of-NNNNN.arrow, the features in the schema's "huggingface" metadata).
//   preset "imagenet": {image: struct<bytes: binary, path: string>, label: int64}, 100 rows a
//     batch; image.bytes holds the generated sample (sample_content.hpp).
//   otherwise (OpenWebText-like text): {text: string}, 1000 rows a batch; text is the generated
//     sample mapped onto 64 printable ASCII characters (valid UTF-8).
// The sample a packer takes from a row is its first binary-like leaf: text, or image.bytes.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "workloads/formats/arrow_ipc.hpp"
#include "workloads/formats/dataset.hpp"

namespace aistor::formats {

[[nodiscard]] std::vector<ArrowField> arrow_dataset_schema(const DatasetSpec& spec);
[[nodiscard]] std::int64_t arrow_rows_per_batch(const DatasetSpec& spec) noexcept;
// The bytes of sample `id` as the Arrow dataset stores it (sizes.size_of(id) bytes).
void fill_arrow_sample(const DatasetSpec& spec, std::span<std::byte> out, std::uint64_t id);

// Checks a sample read from an Arrow dataset of `spec` as check_sample does (text samples, whose
// bytes are mapped onto printable characters, are compared with their regeneration).
[[nodiscard]] std::optional<std::string> check_arrow_sample(const DatasetSpec& spec,
                                                            std::span<const std::byte> sample,
                                                            std::uint64_t id);

// Writes samples [first, last) into one Arrow stream file; returns their payload bytes. Honours
// *stop (InputError); SystemError on I/O failure.
std::uint64_t write_arrow_part(const DatasetSpec& spec, const std::filesystem::path& file,
                               std::uint64_t first, std::uint64_t last,
                               const std::atomic<bool>* stop);

}  // namespace aistor::formats
