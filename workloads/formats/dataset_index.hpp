#pragma once
// Where every sample of a dataset lives — file, byte offset, length — in 16 bytes a sample.
//
// Opens an aistor dataset directory (through its manifest), a plain TFRecord file (through its
// .idx sidecar, or by scanning it) or an FFRecord file. Compressed TFRecord has no random access
// and is refused. Raw sample trees keep no path per sample: the path is computed from the spec.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "workloads/formats/dataset.hpp"
#include "workloads/formats/sample_ref.hpp"

namespace aistor::formats {

class DatasetIndex {
 public:
  // Throws InputError (with file and offset) for anything it cannot index.
  [[nodiscard]] static DatasetIndex open(const std::filesystem::path& path);

  [[nodiscard]] std::uint64_t size() const noexcept { return refs_.size(); }
  [[nodiscard]] const SampleRef& at(std::uint64_t sample) const { return refs_.at(sample); }
  // The file holding `ref`.
  [[nodiscard]] std::filesystem::path path_of(const SampleRef& ref) const;
  [[nodiscard]] std::uint32_t file_count() const noexcept;
  // The spec of an aistor dataset (nullopt for a user's own file).
  [[nodiscard]] const std::optional<DatasetSpec>& spec() const noexcept { return spec_; }

 private:
  std::filesystem::path root_;
  std::optional<DatasetSpec> spec_;
  std::vector<std::filesystem::path> files_;  // record files; empty for raw trees
  std::vector<SampleRef> refs_;
};

}  // namespace aistor::formats
