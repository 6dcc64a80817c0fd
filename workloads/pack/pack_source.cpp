#include "workloads/pack/pack_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/mapping.hpp"
#include "workloads/formats/crc.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/formats/tfrecord.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;

struct Leaf {
  std::string path;
  ArrowType type;
};

void flatten(const ArrowField& f, const std::string& prefix, std::vector<Leaf>& out) {
  const std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
  if (f.type == ArrowType::struct_) {
    for (const auto& c : f.children)
      flatten(c, path, out);
  } else {
    out.push_back({path, f.type});
  }
}

std::vector<Leaf> leaves_of(const std::vector<ArrowField>& schema) {
  std::vector<Leaf> out;
  for (const auto& f : schema)
    flatten(f, "", out);
  return out;
}

std::string schema_text(const std::vector<ArrowField>& schema) {
  std::string s;
  for (const auto& l : leaves_of(schema))
    s += fmt::format("{}{}: {}", s.empty() ? "" : ", ", l.path, arrow_type_name(l.type));
  return s;
}

std::optional<PackFormat> detect(const fs::path& file) {
  if (looks_like_arrow(file)) return PackFormat::arrow;
  if (file.extension() == ".tfrecord") return PackFormat::tfrecord;
  return std::nullopt;
}

// Regular files under `dir` with `ext` ("" for any), sorted, aistor's manifest left out.
std::vector<fs::path> files_under(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end; it.increment(ec)) {
    if (ec) throw_system(ec.value(), "readdir", dir.string());
    if (!it->is_regular_file(ec)) continue;
    const auto& p = it->path();
    if (p.filename() == formats::kManifestName) continue;
    if (!ext.empty() && p.extension() != ext) continue;
    out.push_back(p);
  }
  if (ec) throw_system(ec.value(), "readdir", dir.string());
  std::sort(out.begin(), out.end());
  return out;
}

// The manifest of a finished pack phase's output directory, if `dir` is one.
std::optional<nlohmann::json> read_pack_manifest(const fs::path& dir) {
  std::ifstream in(dir / kPackManifest);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, json_depth_guard((dir / kPackManifest).string()), false);
  if (j.is_discarded() || !j.is_object() || j.value("generator", "") != "aistor" ||
      !j.contains("files") || !j["files"].is_array())
    throw InputError(
        fmt::format("{}: not a valid aistor pack manifest", (dir / kPackManifest).string()));
  if (!j.value("complete", false))
    throw InputError(fmt::format("{}: the pack that wrote it did not finish", dir.string()));
  for (const auto& f : j["files"]) {
    if (!f.is_string() || fs::path(f.get<std::string>()).has_parent_path())
      throw InputError(
          fmt::format("{}: a file entry that is not a plain name", (dir / kPackManifest).string()));
  }
  return j;
}

std::uint64_t load_u64(const std::byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
std::uint32_t load_u32(const std::byte* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

const char* to_string(PackFormat f) noexcept {
  switch (f) {
    case PackFormat::arrow:
      return "arrow";
    case PackFormat::tfrecord:
      return "tfrecord";
    case PackFormat::raw:
      break;
  }
  return "raw";
}

std::optional<PackFormat> parse_pack_format(std::string_view name) noexcept {
  for (auto f : {PackFormat::raw, PackFormat::arrow, PackFormat::tfrecord})
    if (name == to_string(f)) return f;
  return std::nullopt;
}

namespace {

// The files of an aistor dataset, in sample order; `format` checked against its manifest and set.
std::vector<fs::path> dataset_files(const fs::path& path, const nlohmann::json& manifest,
                                    std::optional<PackFormat>& format) {
  if (!manifest.value("complete", false))
    throw InputError(fmt::format("{}: the dataset's generation did not finish", path.string()));
  const auto spec = formats::dataset_spec_from_json(manifest.value("spec", nlohmann::json()),
                                                    path / formats::kManifestName);
  std::optional<PackFormat> has;
  if (spec.format == formats::DatasetFormat::raw) has = PackFormat::raw;
  if (spec.format == formats::DatasetFormat::arrow) has = PackFormat::arrow;
  if (spec.format == formats::DatasetFormat::tfrecord) has = PackFormat::tfrecord;
  if (!has)
    throw InputError(
        fmt::format("{}: a {} dataset; pack reads raw, arrow or uncompressed "
                    "tfrecord sources",
                    path.string(), formats::to_string(spec.format)));
  if (format && *format != *has)
    throw InputError(fmt::format("{}: the manifest says {}, the config says {}", path.string(),
                                 to_string(*has), to_string(*format)));
  format = has;
  std::vector<fs::path> files;
  if (*format == PackFormat::raw) {
    for (std::uint64_t i = 0; i < spec.samples; ++i)
      files.push_back(path / spec.raw_file(i));
  } else {
    for (std::uint32_t f = 0; f < spec.files; ++f)
      files.push_back(path / spec.record_file(f));
  }
  return files;
}

// A directory's files to pack: an aistor dataset's, an earlier pack's (its TFRecord files, in
// order), or those under it with the format's extension.
std::vector<fs::path> directory_files(const fs::path& path, std::optional<PackFormat>& format) {
  if (auto manifest = formats::read_manifest(path)) return dataset_files(path, *manifest, format);
  if (auto packed = read_pack_manifest(path)) {
    const auto target = packed->value("target", "");
    if (target != "tfrecord")
      throw InputError(fmt::format("{}: packed {} files; pack reads raw, arrow or tfrecord",
                                   path.string(), target));
    if (format && *format != PackFormat::tfrecord)
      throw InputError(fmt::format("{}: holds tfrecord files, the config says {}", path.string(),
                                   to_string(*format)));
    format = PackFormat::tfrecord;
    std::vector<fs::path> files;
    for (const auto& f : packed->at("files"))
      files.push_back(path / f.get<std::string>());
    return files;
  }
  if (!format)
    throw InputError(fmt::format(
        "{}: not an aistor dataset, so say its format (raw, arrow or tfrecord)", path.string()));
  return files_under(path, *format == PackFormat::arrow      ? ".arrow"
                           : *format == PackFormat::tfrecord ? ".tfrecord"
                                                             : "");
}

}  // namespace

PackSource PackSource::open(const fs::path& path, std::optional<PackFormat> format,
                            const std::string& column, std::uint64_t unit_bytes) {
  PackSource s;
  s.root_ = path;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw InputError(fmt::format("{}: no such file or directory", path.string()));
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    files = directory_files(path, format);
  } else {
    if (!format) format = detect(path);
    if (!format)
      throw InputError(
          fmt::format("{}: neither Arrow nor TFRecord; say the source's format", path.string()));
    files.push_back(path);
  }
  if (files.empty())
    throw InputError(fmt::format("{}: no {} files to pack", path.string(), to_string(*format)));
  s.format_ = *format;
  for (const auto& f : files) {
    s.files_.push_back({f, fs::file_size(f, ec)});
    if (ec) throw_system(ec.value(), "stat", f.string());
    switch (s.format_) {
      case PackFormat::raw:
        s.add_unit({static_cast<std::uint32_t>(s.files_.size() - 1), 0, s.files_.back().bytes, 1,
                    s.files_.back().bytes});
        break;
      case PackFormat::arrow:
        s.index_arrow(f, column);
        break;
      case PackFormat::tfrecord:
        s.index_tfrecord(f, unit_bytes);
        break;
    }
  }
  if (s.format_ != PackFormat::arrow && !column.empty())
    throw InputError(fmt::format("{}: \"column\" applies to arrow sources", path.string()));
  return s;
}

void PackSource::add_unit(const PackUnit& u) {
  units_.push_back(u);
  samples_ += u.samples;
  payload_ += u.payload_bytes;
  largest_ = std::max(largest_, u.bytes);
}

void PackSource::index_arrow(const fs::path& file, const std::string& column) {
  const Mapping map = map_file(file);
  const ArrowIpcFile a(std::span<const std::byte>(map.data(), map.size()), file.string());
  if (files_.size() == 1) {
    schema_ = a.schema();
    const auto leaves = leaves_of(schema_);
    bool found = false;
    for (std::size_t i = 0; i < leaves.size() && !found; ++i) {
      if (column.empty() ? arrow_binary_like(leaves[i].type) : leaves[i].path == column) {
        if (!arrow_binary_like(leaves[i].type))
          throw InputError(fmt::format("{}: column {} is {}, not binary or string", file.string(),
                                       column, arrow_type_name(leaves[i].type)));
        leaf_ = i;
        column_ = leaves[i].path;
        found = true;
      }
    }
    if (!found)
      throw InputError(column.empty() ? fmt::format("{}: no binary or string column ({})",
                                                    file.string(), schema_text(schema_))
                                      : fmt::format("{}: no column {} ({})", file.string(), column,
                                                    schema_text(schema_)));
  } else if (schema_text(a.schema()) != schema_text(schema_)) {
    throw InputError(fmt::format("{}: schema ({}) differs from {}'s ({})", file.string(),
                                 schema_text(a.schema()), files_.front().path.string(),
                                 schema_text(schema_)));
  }
  for (const auto& b : a.batches()) {
    PackUnit u{static_cast<std::uint32_t>(files_.size() - 1), b.message_offset, b.message_bytes};
    const auto& leaf = b.leaves.at(leaf_);
    for (std::int64_t r = 0; r < b.rows; ++r) {
      if (const auto v = leaf.value(r)) {
        ++u.samples;
        u.payload_bytes += v->size();
      }
    }
    add_unit(u);
  }
}

void PackSource::index_tfrecord(const fs::path& file, std::uint64_t unit_bytes) {
  if (formats::detect_tfrecord_compression(file) != formats::TfCompression::none)
    throw InputError(
        fmt::format("{}: compressed TFRecord; pack reads uncompressed files", file.string()));
  const auto id = static_cast<std::uint32_t>(files_.size() - 1);
  const auto refs = fs::exists(file.string() + ".idx") ? formats::read_tfrecord_index(file, id)
                                                       : formats::index_tfrecord(file, id, false);
  PackUnit u{id, 0, 0, 0, 0};
  for (const auto& r : refs) {
    const std::uint64_t start = r.offset - 12, end = r.offset + r.length + 4;
    if (u.samples == 0) u.offset = start;
    u.bytes = end - u.offset;
    ++u.samples;
    u.payload_bytes += r.length;
    if (u.bytes >= unit_bytes) {
      add_unit(u);
      u = PackUnit{id, 0, 0, 0, 0};
    }
  }
  if (u.samples > 0) add_unit(u);
}

void PackSource::decode(const PackUnit& unit, std::span<const std::byte> bytes,
                        const SampleSink& emit) const {
  const auto& file = files_.at(unit.file).path;
  std::uint64_t emitted = 0;
  switch (format_) {
    case PackFormat::raw:
      if (bytes.size() != unit.bytes)
        throw InputError(fmt::format("{}: {} bytes where {} were indexed", file.string(),
                                     bytes.size(), unit.bytes));
      emit(bytes);
      emitted = 1;
      break;
    case PackFormat::arrow: {
      const auto batch = parse_arrow_batch(bytes, unit.offset, schema_, file.string());
      const auto& leaf = batch.leaves.at(leaf_);
      for (std::int64_t r = 0; r < batch.rows; ++r) {
        if (const auto v = leaf.value(r)) {
          emit(*v);
          ++emitted;
        }
      }
      break;
    }
    case PackFormat::tfrecord: {
      std::size_t at = 0;
      while (at < bytes.size()) {
        const std::uint64_t where = unit.offset + at;
        auto fail = [&](const std::string& what) {
          throw InputError(fmt::format("{}: record at offset {}: {}", file.string(), where, what));
        };
        if (bytes.size() - at < 16) fail("truncated header");
        const std::uint64_t len = load_u64(bytes.data() + at);
        if (formats::masked_crc32c(bytes.subspan(at, 8)) != load_u32(bytes.data() + at + 8))
          fail("length checksum mismatch");
        if (len > bytes.size() - at - 16) fail(fmt::format("length {} runs past the unit", len));
        const auto payload = bytes.subspan(at + 12, static_cast<std::size_t>(len));
        if (formats::masked_crc32c(payload) != load_u32(payload.data() + len))
          fail("payload checksum mismatch");
        emit(payload);
        ++emitted;
        at += 16 + static_cast<std::size_t>(len);
      }
      break;
    }
  }
  if (emitted != unit.samples)
    throw InputError(fmt::format("{}: byte {}: {} samples where {} were indexed (changed since?)",
                                 file.string(), unit.offset, emitted, unit.samples));
}

nlohmann::json PackSource::describe() const {
  nlohmann::json j{{"path", root_.string()}, {"format", to_string(format_)},
                   {"files", files_.size()}, {"units", units_.size()},
                   {"samples", samples_},    {"payload_bytes", payload_}};
  std::uint64_t bytes = 0;
  for (const auto& f : files_)
    bytes += f.bytes;
  j["file_bytes"] = bytes;
  if (format_ == PackFormat::arrow) {
    j["column"] = column_;
    j["schema"] = schema_text(schema_);
  }
  return j;
}

}  // namespace aistor
