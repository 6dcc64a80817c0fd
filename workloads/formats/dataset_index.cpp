#include "workloads/formats/dataset_index.hpp"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/mapping.hpp"
#include "workloads/formats/arrow_ipc.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/tfrecord.hpp"

namespace aistor::formats {
namespace {

void append_record_file(const std::filesystem::path& file, std::uint32_t id, bool ffrecord,
                        std::vector<SampleRef>& refs) {
  if (ffrecord) {
    auto f = FfRecordFile::open(file, id);
    for (std::uint64_t i = 0; i < f.size(); ++i)
      refs.push_back(f.ref(i));
    return;
  }
  std::vector<SampleRef> part;
  auto sidecar = std::filesystem::path(file.string() + ".idx");
  part = std::filesystem::exists(sidecar) ? read_tfrecord_index(file, id)
                                          : index_tfrecord(file, id, /*verify_crc=*/false);
  refs.insert(refs.end(), part.begin(), part.end());
}

// An Arrow IPC file's samples: each row's value of its first binary-like column (text, or
// image.bytes), where it lies in the file. A null value is an empty sample.
void append_arrow_file(const std::filesystem::path& file, std::uint32_t id,
                       std::vector<SampleRef>& refs) {
  const Mapping map = map_file(file);
  const std::span<const std::byte> bytes(map.data(), map.size());
  const ArrowIpcFile arrow(bytes, file.string());
  for (const ArrowBatch& b : arrow.batches()) {
    const auto leaf = std::find_if(b.leaves.begin(), b.leaves.end(),
                                   [](const ArrowLeaf& l) { return l.binary_like(); });
    if (leaf == b.leaves.end()) {
      throw InputError(fmt::format("{}: byte {}: no binary or string column to read samples from",
                                   file.string(), b.message_offset));
    }
    for (std::int64_t row = 0; row < b.rows; ++row) {
      const auto v = leaf->value(row);
      const std::uint64_t at = v ? static_cast<std::uint64_t>(v->data() - bytes.data()) : 0;
      if (v && v->size() > UINT32_MAX) {
        throw InputError(
            fmt::format("{}: byte {}: a sample of more than 4 GiB", file.string(), at));
      }
      refs.push_back({at, v ? static_cast<std::uint32_t>(v->size()) : 0U, id});
    }
  }
}

bool is_ffrecord(const std::filesystem::path& file) {
  try {
    (void)FfRecordFile::open(file, 0);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

}  // namespace

DatasetIndex DatasetIndex::open(const std::filesystem::path& path) {
  DatasetIndex index;
  index.root_ = path;
  if (std::filesystem::is_directory(path)) {
    auto manifest = read_manifest(path);
    if (!manifest) {
      throw InputError(fmt::format("{}: no aistor manifest ({})", path.string(), kManifestName));
    }
    if (!manifest->value("complete", false)) {
      throw InputError(fmt::format("{}: the dataset's generation did not finish", path.string()));
    }
    index.spec_ =
        dataset_spec_from_json(manifest->value("spec", nlohmann::json()), path / kManifestName);
    const DatasetSpec& spec = *index.spec_;
    if (spec.format == DatasetFormat::tfrecord_gzip ||
        spec.format == DatasetFormat::tfrecord_zlib) {
      throw InputError(fmt::format("{}: compressed TFRecord has no random access", path.string()));
    }
    index.refs_.reserve(spec.samples);
    if (spec.format == DatasetFormat::raw) {
      // A raw sample's "file" is its own id, so ids must fit the 32-bit field.
      if (spec.samples > UINT32_MAX) {
        throw InputError(fmt::format("{}: a raw tree of more than 2^32 samples", path.string()));
      }
      for (std::uint64_t i = 0; i < spec.samples; ++i) {
        index.refs_.push_back({0, static_cast<std::uint32_t>(spec.sizes.size_of(i, spec.seed)),
                               static_cast<std::uint32_t>(i)});
      }
    } else {
      for (std::uint32_t f = 0; f < spec.files; ++f) {
        index.files_.push_back(path / spec.record_file(f));
        if (spec.format == DatasetFormat::arrow) {
          append_arrow_file(index.files_.back(), f, index.refs_);
        } else {
          append_record_file(index.files_.back(), f, spec.format == DatasetFormat::ffrecord,
                             index.refs_);
        }
      }
    }
    if (index.refs_.size() != spec.samples) {
      throw InputError(fmt::format("{}: {} samples where the manifest says {}", path.string(),
                                   index.refs_.size(), spec.samples));
    }
    return index;
  }
  index.files_.push_back(path);
  if (looks_like_arrow(path)) {
    append_arrow_file(path, 0, index.refs_);
  } else {
    append_record_file(path, 0, is_ffrecord(path), index.refs_);
  }
  return index;
}

std::filesystem::path DatasetIndex::path_of(const SampleRef& ref) const {
  if (spec_ && spec_->format == DatasetFormat::raw) {
    // root_ / spec_->raw_file(ref.file), built as one string: a path is parsed once, not four times
    // (this runs once per sample read from a raw tree).
    std::string p = root_.native();
    if (!p.empty() && p.back() != '/') p += '/';
    spec_->append_raw_file(p, ref.file);
    return std::filesystem::path(std::move(p));
  }
  return files_.at(ref.file);
}

std::uint32_t DatasetIndex::file_count() const noexcept {
  if (spec_ && spec_->format == DatasetFormat::raw) return static_cast<std::uint32_t>(refs_.size());
  return static_cast<std::uint32_t>(files_.size());
}

}  // namespace aistor::formats
