#include "workloads/formats/inspect.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/histogram.hpp"
#include "core/mapping.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "core/units.hpp"
#include "workloads/formats/arrow_dataset.hpp"
#include "workloads/formats/arrow_ipc.hpp"
#include "workloads/formats/crc.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/formats/vector_index.hpp"

namespace aistor::formats {
namespace {

// Record sizes reuse the log-linear histogram: bounded memory whatever the count.
struct Tally {
  std::uint64_t records = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t files = 0;
  LatencyHistogram sizes;

  void add(std::uint64_t length) {
    ++records;
    payload_bytes += length;
    sizes.record(length);
  }
  nlohmann::json json() const {
    return {{"records", records},
            {"payload_bytes", payload_bytes},
            {"file_bytes", file_bytes},
            {"files", files},
            {"sizes",
             {{"min", sizes.min()},
              {"p50", sizes.quantile(0.5)},
              {"mean", sizes.mean()},
              {"p99", sizes.quantile(0.99)},
              {"max", sizes.max()}}}};
  }
};

const char* compression_name(TfCompression c) {
  return c == TfCompression::gzip ? "gzip" : c == TfCompression::zlib ? "zlib" : "none";
}

// A sample of an aistor dataset must be the one its position says.
void check_generated(const std::filesystem::path& file, std::uint64_t index, std::uint64_t offset,
                     std::span<const std::byte> data, std::uint64_t id, std::uint64_t seed) {
  if (auto wrong = check_sample(data, id, seed)) {
    throw InputError(
        fmt::format("{}: record {} at offset {}: {}", file.string(), index, offset, *wrong));
  }
}

void tally_tfrecord(const std::filesystem::path& file, Tally& t, const DatasetSpec* spec,
                    std::uint64_t first_id, TfCompression* seen) {
  auto stats = scan_tfrecord(
      file, true, [&](std::uint64_t i, std::uint64_t off, std::span<const std::byte> data) {
        t.add(data.size());
        if (spec != nullptr) check_generated(file, i, off, data, first_id + i, spec->seed);
      });
  t.file_bytes += stats.file_bytes;
  ++t.files;
  if (seen != nullptr) *seen = stats.compression;
}

void tally_ffrecord(const std::filesystem::path& file, Tally& t, const DatasetSpec* spec,
                    std::uint64_t first_id) {
  auto f = FfRecordFile::open(file, 0);
  f.verify();
  std::vector<std::byte> buf;
  for (std::uint64_t i = 0; i < f.size(); ++i) {
    auto ref = f.ref(i);
    t.add(ref.length);
    if (spec != nullptr) {
      buf.resize(ref.length);
      f.read(i, buf);
      check_generated(file, i, ref.offset, buf, first_id + i, spec->seed);
    }
  }
  t.file_bytes += f.file_bytes();
  ++t.files;
}

bool looks_like_ffrecord(const std::filesystem::path& file) {
  try {
    (void)FfRecordFile::open(file, 0);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

// What a file in a directory without a manifest is. Record files are recognised by name
// (".ffr", "tfrecord" in the name) or by a valid header: an FFRecord header whose index fits the
// file, or a TFRecord length header whose masked CRC-32C matches (2^-32 odds for other bytes).
// Anything else is one raw sample.
enum class FileKind { raw, tfrecord, ffrecord };

const char* kind_name(FileKind k) {
  return k == FileKind::ffrecord ? "ffrecord" : k == FileKind::tfrecord ? "tfrecord" : "raw";
}

FileKind classify(const std::filesystem::path& file, std::uint64_t size) {
  std::string name = file.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (file.extension() == ".ffr") return FileKind::ffrecord;
  if (name.find("tfrecord") != std::string::npos) return FileKind::tfrecord;
  std::array<std::byte, 12> head{};
  if (size < head.size()) return FileKind::raw;
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", file.string());
  const std::int64_t n = pread_full(fd.get(), head.data(), head.size(), 0);
  if (n < 0) throw_system(static_cast<int>(-n), "pread", file.string());
  if (static_cast<std::size_t>(n) < head.size()) return FileKind::raw;
  std::uint32_t length_crc = 0;
  std::memcpy(&length_crc, head.data() + 8, 4);
  if (masked_crc32c(std::span(head).first(8)) == length_crc) return FileKind::tfrecord;
  std::uint64_t samples = 0;
  std::memcpy(&samples, head.data() + 4, 8);
  if (samples < size / 12 && ffrecord_header_bytes(samples) <= size && looks_like_ffrecord(file))
    return FileKind::ffrecord;
  return FileKind::raw;
}

bool hidden_or_sidecar(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  return name.starts_with('.') || p.extension() == ".idx" || name == kPackManifest;
}

// A directory someone else made (or a pack's output): every regular file under it (hidden files,
// .idx sidecars and a pack manifest aside) must be of one kind. Record files are checked in name
// order; raw samples are counted as the directory lists them, so memory stays bounded for trees of
// millions of files.
nlohmann::json inspect_foreign_directory(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::optional<FileKind> kind;
  fs::path first;
  std::vector<fs::path> record_files;
  Tally t;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) throw_system(ec.value(), "opendir", dir.string());
  for (; it != end; it.increment(ec)) {
    if (ec) throw_system(ec.value(), "readdir", dir.string());
    const fs::path& p = it->path();
    if (hidden_or_sidecar(p)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const std::uint64_t size = it->file_size();
    const FileKind k = classify(p, size);
    if (!kind) {
      kind = k;
      first = p;
    } else if (*kind != k) {
      throw InputError(fmt::format("{}: mixed directory: {} is {} but {} is {}", dir.string(),
                                   first.string(), kind_name(*kind), p.string(), kind_name(k)));
    }
    if (k == FileKind::raw) {
      t.add(size);
      t.file_bytes += size;
      ++t.files;
    } else {
      record_files.push_back(p);
    }
  }
  if (!kind) throw InputError(fmt::format("{}: no files to inspect", dir.string()));
  std::sort(record_files.begin(), record_files.end());
  std::optional<TfCompression> compression;
  for (const auto& f : record_files) {
    if (*kind == FileKind::ffrecord) {
      tally_ffrecord(f, t, nullptr, 0);
    } else {
      TfCompression c = TfCompression::none;
      tally_tfrecord(f, t, nullptr, 0, &c);
      if (!compression) compression = c;
    }
  }
  auto j = t.json();
  j["path"] = dir.string();
  j["format"] = kind_name(*kind);
  if (compression) j["compression"] = compression_name(*compression);
  j["checked"] = *kind == FileKind::raw ? "file sizes only: raw samples carry no checksums"
                                        : "every record checksum in every file";
  return j;
}

// An aistor Arrow dataset file: every row's sample (its first binary-like leaf) must be the one
// generated for its position.
void tally_arrow_dataset(const std::filesystem::path& path, Tally& t, const DatasetSpec& spec,
                         std::uint64_t first_id) {
  const Mapping map = map_file(path);
  const ArrowIpcFile f(std::span<const std::byte>(map.data(), map.size()), path.string());
  std::vector<std::byte> want;
  std::uint64_t id = first_id;
  for (const auto& b : f.batches()) {
    for (std::int64_t r = 0; r < b.rows; ++r, ++id) {
      const auto v = b.leaves.at(0).value(r);
      if (!v)
        throw InputError(fmt::format("{}: row {}: null sample", path.string(), id - first_id));
      want.resize(spec.sizes.size_of(id, spec.seed));
      fill_arrow_sample(spec, want, id);
      if (v->size() != want.size() || !std::equal(v->begin(), v->end(), want.begin()))
        throw InputError(fmt::format("{}: byte {}: row {} is not sample {}", path.string(),
                                     b.body_offset, id - first_id, id));
      t.add(v->size());
    }
  }
  t.file_bytes += map.size();
  ++t.files;
}

nlohmann::json inspect_dataset(const std::filesystem::path& dir, const nlohmann::json& manifest) {
  DatasetSpec spec =
      dataset_spec_from_json(manifest.value("spec", nlohmann::json()), dir / kManifestName);
  if (!manifest.value("complete", false)) {
    throw InputError(fmt::format("{}: the dataset's generation did not finish", dir.string()));
  }
  Tally t;
  auto parts = spec.format == DatasetFormat::raw ? spec.fan_out : spec.files;
  for (std::uint32_t f = 0; f < parts; ++f) {
    auto first = spec.first_sample_of(f);
    auto path = dir / spec.record_file(f);
    if (spec.format == DatasetFormat::ffrecord) {
      tally_ffrecord(path, t, &spec, first);
    } else if (spec.format == DatasetFormat::arrow) {
      tally_arrow_dataset(path, t, spec, first);
    } else if (spec.format == DatasetFormat::raw) {
      for (std::uint64_t i = first; i < spec.first_sample_of(f + 1); ++i) {
        auto file = dir / spec.raw_file(i);
        std::ifstream in(file, std::ios::binary);
        if (!in) throw InputError(fmt::format("{}: missing sample {}", file.string(), i));
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
        auto data = std::as_bytes(std::span(bytes));
        t.add(data.size());
        t.file_bytes += data.size();
        ++t.files;
        check_generated(file, 0, 0, data, i, spec.seed);
      }
    } else {
      tally_tfrecord(path, t, &spec, first, nullptr);
    }
  }
  if (t.records != spec.samples) {
    throw InputError(fmt::format("{}: {} records where the manifest says {}", dir.string(),
                                 t.records, spec.samples));
  }
  auto j = t.json();
  j["path"] = dir.string();
  j["format"] = to_string(spec.format);
  j["aistor_dataset"] = to_json(spec);
  j["checked"] = "record checksums and every sample's id, length and content checksum";
  return j;
}

nlohmann::json inspect_arrow(const std::filesystem::path& path) {
  const Mapping map = map_file(path);
  const std::span<const std::byte> c(map.data(), map.size());
  const ArrowIpcFile f(c, path.string());
  nlohmann::json columns = nlohmann::json::array();
  std::uint64_t payload = 0;
  for (std::size_t i = 0; !f.batches().empty() && i < f.batches()[0].leaves.size(); ++i) {
    std::uint64_t bytes = 0, nulls = 0;
    for (const auto& b : f.batches()) {
      const auto& leaf = b.leaves[i];
      nulls += static_cast<std::uint64_t>(leaf.null_count);
      for (std::int64_t r = 0; leaf.binary_like() && r < b.rows; ++r)
        if (const auto v = leaf.value(r)) bytes += v->size();
    }
    payload += bytes;
    const auto& leaf = f.batches()[0].leaves[i];
    columns.push_back({{"path", leaf.path},
                       {"type", arrow_type_name(leaf.type)},
                       {"nulls", nulls},
                       {"value_bytes", leaf.binary_like() ? nlohmann::json(bytes) : nullptr}});
  }
  return {{"path", path.string()},
          {"format", "arrow"},
          {"ipc", f.file_format() ? "file" : "stream"},
          {"rows", f.rows()},
          {"batches", f.batches().size()},
          {"columns", columns},
          {"payload_bytes", payload},
          {"file_bytes", c.size()},
          {"checked", "every message, buffer bound and offset"}};
}

}  // namespace

nlohmann::json inspect(const std::filesystem::path& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw InputError(fmt::format("{}: no such file or directory", path.string()));
  }
  if (std::filesystem::is_directory(status)) {
    if (std::filesystem::exists(path / kIndexManifest)) return inspect_index_directory(path);
    if (auto manifest = read_manifest(path)) return inspect_dataset(path, *manifest);
    return inspect_foreign_directory(path);
  }
  if (std::filesystem::file_size(path) == 0) {
    throw InputError(fmt::format("{}: offset 0: empty file", path.string()));
  }
  if (looks_like_model_file(path)) return inspection_of(read_model_file(path));
  if (looks_like_arrow(path)) return inspect_arrow(path);
  if (looks_like_vector_index(path)) return inspect_vector_index(path);
  Tally t;
  nlohmann::json j;
  if (looks_like_ffrecord(path)) {
    tally_ffrecord(path, t, nullptr, 0);
    j = t.json();
    j["format"] = "ffrecord";
  } else {
    TfCompression c = TfCompression::none;
    tally_tfrecord(path, t, nullptr, 0, &c);
    j = t.json();
    j["format"] = "tfrecord";
    j["compression"] = compression_name(c);
  }
  j["path"] = path.string();
  j["checked"] = "every record checksum";
  return j;
}

std::string describe_inspection(const nlohmann::json& r) {
  if (r.value("format", "") == "aistor-vector-index") {
    std::string out = fmt::format(
        "{}: aistor vector index\n  nodes {}, dim {} {}, metric {}, degree max {} mean {:.1f}\n"
        "  record {} bytes, {} a sector, {} sector(s) a node, file {}, reachable from entry {}\n",
        r.value("path", ""), r.value("nodes", 0), r.value("dim", 0), r.value("dtype", ""),
        r.value("metric", ""), r.value("max_degree", 0), r.value("mean_degree", 0.0),
        r.value("record_bytes", 0), r.value("nodes_per_sector", 0), r.value("sectors_per_node", 0),
        human_bytes(r.value("file_bytes", 0.0)), r.value("reachable_from_entry", 0));
    if (r.contains("pq_bytes"))
      out += fmt::format("  in memory (PQ codes) {}\n", human_bytes(r["pq_bytes"].get<double>()));
    out += fmt::format("  ok: {}\n", r.value("checked", ""));
    return out;
  }
  if (r.value("format", "") == "safetensors" || r.value("format", "") == "gguf") {
    std::string out =
        fmt::format("{}: {}{}\n  tensors {}, tensor bytes {}, header {} bytes, file {}\n",
                    r.value("path", ""), r.value("format", ""),
                    r.contains("version") ? fmt::format(" v{}", r["version"].get<int>()) : "",
                    r.value("tensors", 0), human_bytes(r.value("tensor_bytes", 0.0)),
                    r.value("header_bytes", 0), human_bytes(r.value("file_bytes", 0.0)));
    for (const auto& [dtype, d] : r["dtypes"].items()) {
      out += fmt::format("  {:<6} {:>6} tensors  {}\n", dtype, d.value("tensors", 0),
                         human_bytes(d.value("bytes", 0.0)));
    }
    out += fmt::format("  ok: {}\n", r.value("checked", ""));
    return out;
  }
  if (r.value("format", "") == "arrow" && r.contains("columns")) {  // one file; a dataset tallies
    std::string out = fmt::format(
        "{}: arrow ({} format)\n  rows {}, batches {}, value bytes {}, file {}\n",
        r.value("path", ""), r.value("ipc", "?"), r.value("rows", 0), r.value("batches", 0),
        human_bytes(r.value("payload_bytes", 0.0)), human_bytes(r.value("file_bytes", 0.0)));
    for (const auto& col : r["columns"]) {
      out +=
          fmt::format("  {:<20} {:<12} nulls {:>6}  {}\n", col.value("path", "?"),
                      col.value("type", "?"), col.value("nulls", 0),
                      col["value_bytes"].is_number() ? human_bytes(col["value_bytes"].get<double>())
                                                     : std::string("-"));
    }
    out += fmt::format("  ok: {}\n", r.value("checked", ""));
    return out;
  }
  const auto& s = r["sizes"];
  std::string out = fmt::format("{}: {}", r.value("path", ""), r.value("format", "?"));
  if (r.contains("compression") && r["compression"] != "none") {
    out += fmt::format(" ({})", r["compression"].get<std::string>());
  }
  out += fmt::format(
      "\n  records {}, payload {}, on disk {} in {} file(s)\n  sizes min {} p50 {} mean {:.0f} "
      "p99 {} max {} bytes\n  ok: {}\n",
      r.value("records", 0), human_bytes(r.value("payload_bytes", 0.0)),
      human_bytes(r.value("file_bytes", 0.0)), r.value("files", 0), s.value("min", 0),
      s.value("p50", 0), s.value("mean", 0.0), s.value("p99", 0), s.value("max", 0),
      r.value("checked", ""));
  return out;
}

}  // namespace aistor::formats
