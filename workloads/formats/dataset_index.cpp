#include "workloads/formats/dataset_index.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
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
    if (spec.format == DatasetFormat::arrow) {
      throw InputError(fmt::format(
          "{}: an Arrow dataset has no per-sample index; pack it into TFRecord or FFRecord first "
          "(workload \"pack\")",
          path.string()));
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
        append_record_file(index.files_.back(), f, spec.format == DatasetFormat::ffrecord,
                           index.refs_);
      }
    }
    if (index.refs_.size() != spec.samples) {
      throw InputError(fmt::format("{}: {} samples where the manifest says {}", path.string(),
                                   index.refs_.size(), spec.samples));
    }
    return index;
  }
  index.files_.push_back(path);
  append_record_file(path, 0, is_ffrecord(path), index.refs_);
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
