#pragma once
// What the pack workload reads: a source dataset indexed (untimed) into units, the contiguous byte
// ranges a packer reads as one piece, and the samples each holds.
//   raw:      every regular file of a tree is one sample and one unit (an aistor raw dataset in
//             its sample order, any other tree in sorted path order);
//   arrow:    Arrow IPC files (stream or file format); a unit is one record batch message, its
//             samples the non-null values of one binary-like column (default: the first);
//   tfrecord: uncompressed TFRecord files (also a finished pack's output directory); a unit is a
//             run of whole records of about unit_bytes.
// Units are decoded from the bytes actually read, so a file that changed since it was indexed is
// an error, not a silent mismatch.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/formats/arrow_ipc.hpp"
#include "workloads/formats/dataset.hpp"

namespace aistor {

enum class PackFormat : std::uint8_t { raw, arrow, tfrecord };

using formats::kPackManifest;

[[nodiscard]] const char* to_string(PackFormat f) noexcept;
[[nodiscard]] std::optional<PackFormat> parse_pack_format(std::string_view name) noexcept;

struct PackUnit {
  std::uint32_t file = 0;
  std::uint64_t offset = 0;  // in its file
  std::uint64_t bytes = 0;
  std::uint64_t samples = 0;
  std::uint64_t payload_bytes = 0;  // the samples' bytes
};

struct PackSourceFile {
  std::filesystem::path path;
  std::uint64_t bytes = 0;
};

using SampleSink = std::function<void(std::span<const std::byte> sample)>;

class PackSource {
 public:
  // Indexes `path` (a directory, or one file). `format` may be omitted for an aistor dataset
  // (its manifest says) or a single file (recognised by its first bytes). Throws InputError
  // naming the path for anything it cannot pack, SystemError when it cannot be read.
  [[nodiscard]] static PackSource open(const std::filesystem::path& path,
                                       std::optional<PackFormat> format, const std::string& column,
                                       std::uint64_t unit_bytes);

  [[nodiscard]] PackFormat format() const noexcept { return format_; }
  [[nodiscard]] const std::vector<PackSourceFile>& files() const noexcept { return files_; }
  [[nodiscard]] const std::vector<PackUnit>& units() const noexcept { return units_; }
  [[nodiscard]] std::uint64_t samples() const noexcept { return samples_; }
  [[nodiscard]] std::uint64_t payload_bytes() const noexcept { return payload_; }
  [[nodiscard]] std::uint64_t largest_unit() const noexcept { return largest_; }

  // Calls `emit` with each sample of `unit` in order, parsed from `bytes` (the unit's range of
  // its file). Throws InputError "<file>: byte <o>: <what>" when they are not what was indexed.
  void decode(const PackUnit& unit, std::span<const std::byte> bytes, const SampleSink& emit) const;

  [[nodiscard]] nlohmann::json describe() const;

 private:
  void index_raw(const std::filesystem::path& dir);
  void index_arrow(const std::filesystem::path& file, const std::string& column);
  void index_tfrecord(const std::filesystem::path& file, std::uint64_t unit_bytes);
  void add_unit(const PackUnit& u);

  std::filesystem::path root_;
  PackFormat format_ = PackFormat::raw;
  std::vector<PackSourceFile> files_;
  std::vector<PackUnit> units_;
  std::vector<ArrowField> schema_;  // arrow: every file's
  std::string column_;              // arrow: the leaf packed
  std::size_t leaf_ = 0;
  std::uint64_t samples_ = 0, payload_ = 0, largest_ = 0;
};

}  // namespace aistor
