#pragma once
// A generated dataset: what it is (DatasetSpec), where its samples live, and the manifest
// (aistor-dataset.json) that marks a directory as aistor's own.
//
// A directory is written into only when it is empty or holds an aistor manifest; files are
// removed only when the manifest lists them. An existing dataset whose manifest matches the spec
// is reused as it is.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/formats/size_distribution.hpp"

namespace aistor {
class ConfigNode;
}

namespace aistor::formats {

enum class DatasetFormat : std::uint8_t {
  raw,
  tfrecord,
  tfrecord_gzip,
  tfrecord_zlib,
  ffrecord,
  arrow,  // Hugging Face-shaped Arrow stream files (arrow_dataset.hpp)
};

inline constexpr const char* kManifestName = "aistor-dataset.json";
// The manifest a pack phase leaves in its output directory (its files, their format).
inline constexpr const char* kPackManifest = "aistor-pack.json";
inline constexpr int kGeneratorVersion = 1;

struct DatasetSpec {
  DatasetFormat format = DatasetFormat::tfrecord;
  std::uint64_t samples = 1000;
  std::uint32_t files = 1;     // record files (tfrecord, ffrecord)
  std::uint32_t fan_out = 16;  // subdirectories (raw)
  SizeDistribution sizes;
  std::uint64_t seed = 1;
  std::string preset;  // "", "openwebtext", "imagenet"
  double scale = 1.0;

  // The file that holds sample `i` (record formats: contiguous ranges of samples per file).
  [[nodiscard]] std::uint32_t file_of(std::uint64_t sample) const noexcept;
  [[nodiscard]] std::uint64_t first_sample_of(std::uint32_t file) const noexcept;
  // Path of record file `f` or of raw sample `i`, relative to the dataset directory.
  [[nodiscard]] std::filesystem::path record_file(std::uint32_t file) const;
  [[nodiscard]] std::filesystem::path raw_file(std::uint64_t sample) const;
  // raw_file(sample) as a string ("d00001/0000002001.bin"), appended to `out`.
  void append_raw_file(std::string& out, std::uint64_t sample) const;
};

// Reads a "dataset" object: {"format", "samples", "files", "fan_out", "sizes": {...}, "seed",
// "preset", "scale"}; a preset fills samples, files and sizes, scale shrinks samples and files.
[[nodiscard]] DatasetSpec parse_dataset_spec(ConfigNode& node);
[[nodiscard]] nlohmann::json to_json(const DatasetSpec& spec);
// The inverse of to_json, for a manifest; InputError naming the manifest when it is malformed.
[[nodiscard]] DatasetSpec dataset_spec_from_json(const nlohmann::json& j,
                                                 const std::filesystem::path& manifest);
[[nodiscard]] const char* to_string(DatasetFormat format) noexcept;
[[nodiscard]] std::optional<DatasetFormat> parse_format(std::string_view name) noexcept;

struct GenerateResult {
  bool reused = false;
  std::uint64_t samples = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t file_bytes = 0;
  double seconds = 0;
};

// Makes (or reuses) the dataset in `dir` with `threads` writers. Throws InputError when `dir`
// holds files without an aistor manifest, SystemError on I/O failure; honours *stop.
GenerateResult generate_dataset(const DatasetSpec& spec, const std::filesystem::path& dir,
                                unsigned threads, const std::atomic<bool>* stop);

// The manifest of `dir`, or nullopt when there is none. InputError when it is unreadable.
[[nodiscard]] std::optional<nlohmann::json> read_manifest(const std::filesystem::path& dir);

}  // namespace aistor::formats
