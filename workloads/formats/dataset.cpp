#include "workloads/formats/dataset.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "core/config_node.hpp"
#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/free_space.hpp"
#include "core/json_guard.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/arrow_dataset.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/tfrecord.hpp"

namespace aistor::formats {
namespace {

struct Preset {
  const char* name;
  std::uint64_t samples;
  std::uint32_t files;
  SizeDistribution sizes;
};

// Fitted to the seed survey's figures (shared/design.md): OpenWebText ≈ 8.01 M samples, mean 5 KB,
// 316 B..237 KB, mostly ≤ 8 KB; ImageNet-1K ≈ 1.43 M samples, mean 114.7 KB, 508 B..15.7 MB,
// mostly ≤ 128 KB.
const Preset kPresets[] = {
    {"openwebtext", 8'013'769, 256, {SizeKind::lognormal, 5000, 3500, 316, 237'000}},
    {"imagenet", 1'431'167, 1024, {SizeKind::lognormal, 114'700, 70'000, 508, 15'700'000}},
};

void write_file(const std::filesystem::path& path, std::span<const std::byte> data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_errno("open", path.string());
  auto res = pwrite_full(fd.get(), data.data(), data.size(), 0);
  if (res < 0) throw_system(static_cast<int>(-res), "pwrite", path.string());
}

void check_stop(const std::atomic<bool>* stop, const std::filesystem::path& dir) {
  if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
    throw InputError(fmt::format("{}: dataset generation interrupted", dir.string()));
  }
}

// Writes the samples of record file `f` (or, for raw, the samples of shard `f`).
std::pair<std::uint64_t, std::uint64_t> write_part(const DatasetSpec& spec,
                                                   const std::filesystem::path& dir,
                                                   std::uint32_t f, const std::atomic<bool>* stop) {
  std::uint64_t first = spec.first_sample_of(f);
  std::uint64_t last = spec.first_sample_of(f + 1);
  std::vector<std::byte> buf;
  std::uint64_t payload = 0;
  auto next = [&](std::uint64_t i) -> std::span<const std::byte> {
    buf.resize(spec.sizes.size_of(i, spec.seed));
    fill_sample(buf, i, spec.seed);
    payload += buf.size();
    return buf;
  };
  auto path = dir / spec.record_file(f);
  switch (spec.format) {
    case DatasetFormat::ffrecord: {
      FfRecordWriter w(path, last - first, /*fsync_on_finish=*/false);
      for (std::uint64_t i = first; i < last; ++i) {
        if ((i & 1023) == 0) check_stop(stop, dir);
        w.append(next(i));
      }
      w.finish();
      break;
    }
    case DatasetFormat::arrow:
      payload = write_arrow_part(spec, path, first, last, stop);
      break;
    case DatasetFormat::raw:
      for (std::uint64_t i = first; i < last; ++i) {
        if ((i & 1023) == 0) check_stop(stop, dir);
        auto file = dir / spec.raw_file(i);
        if (i == first) std::filesystem::create_directories(file.parent_path());
        write_file(file, next(i));
      }
      break;
    default: {
      auto c = spec.format == DatasetFormat::tfrecord_gzip   ? TfCompression::gzip
               : spec.format == DatasetFormat::tfrecord_zlib ? TfCompression::zlib
                                                             : TfCompression::none;
      TfRecordWriter w(path, c, /*fsync_on_finish=*/false);
      for (std::uint64_t i = first; i < last; ++i) {
        if ((i & 1023) == 0) check_stop(stop, dir);
        w.append(next(i));
      }
      w.finish();
    }
  }
  std::uint64_t bytes = 0;
  if (spec.format != DatasetFormat::raw) bytes = std::filesystem::file_size(path);
  return {payload, spec.format == DatasetFormat::raw ? payload : bytes};
}

std::uint32_t parts_of(const DatasetSpec& spec) {
  return spec.format == DatasetFormat::raw ? spec.fan_out : spec.files;
}

// Files listed by an old manifest, removed before the directory is regenerated.
void remove_listed(const std::filesystem::path& dir, const nlohmann::json& manifest) {
  for (const auto& f : manifest.value("files", nlohmann::json::array())) {
    std::error_code ec;
    auto rel = std::filesystem::path(f.get<std::string>());
    if (rel.is_absolute() || rel.string().find("..") != std::string::npos) continue;
    // Listed by our own manifest, so ours: a raw shard directory goes whole.
    std::filesystem::remove_all(dir / rel, ec);
    std::filesystem::remove(dir / (rel.string() + ".idx"), ec);
  }
  std::error_code ec;
  std::filesystem::remove(dir / kManifestName, ec);
}

}  // namespace

const char* to_string(DatasetFormat format) noexcept {
  switch (format) {
    case DatasetFormat::raw:
      return "raw";
    case DatasetFormat::tfrecord_gzip:
      return "tfrecord-gzip";
    case DatasetFormat::tfrecord_zlib:
      return "tfrecord-zlib";
    case DatasetFormat::ffrecord:
      return "ffrecord";
    case DatasetFormat::arrow:
      return "arrow";
    case DatasetFormat::tfrecord:
      break;
  }
  return "tfrecord";
}

std::optional<DatasetFormat> parse_format(std::string_view name) noexcept {
  for (auto f : {DatasetFormat::raw, DatasetFormat::tfrecord, DatasetFormat::tfrecord_gzip,
                 DatasetFormat::tfrecord_zlib, DatasetFormat::ffrecord, DatasetFormat::arrow}) {
    if (name == to_string(f)) return f;
  }
  return std::nullopt;
}

std::uint32_t DatasetSpec::file_of(std::uint64_t sample) const noexcept {
  auto parts = format == DatasetFormat::raw ? fan_out : files;
  return static_cast<std::uint32_t>(sample * parts / samples);
}

std::uint64_t DatasetSpec::first_sample_of(std::uint32_t file) const noexcept {
  auto parts = format == DatasetFormat::raw ? fan_out : files;
  // The smallest sample whose file_of() is `file`.
  return (static_cast<std::uint64_t>(file) * samples + parts - 1) / parts;
}

std::filesystem::path DatasetSpec::record_file(std::uint32_t file) const {
  const char* ext = format == DatasetFormat::ffrecord ? "ffr" : "tfrecord";
  if (format == DatasetFormat::raw) return fmt::format("d{:05}", file);
  if (format == DatasetFormat::arrow) return fmt::format("data-{:05}-of-{:05}.arrow", file, files);
  return fmt::format("part-{:05}-of-{:05}.{}", file, files, ext);
}

std::filesystem::path DatasetSpec::raw_file(std::uint64_t sample) const {
  std::string name;
  append_raw_file(name, sample);
  return name;
}

void DatasetSpec::append_raw_file(std::string& out, std::uint64_t sample) const {
  fmt::format_to(std::back_inserter(out), "d{:05}/{:010}.bin", file_of(sample), sample);
}

DatasetSpec parse_dataset_spec(ConfigNode& node) {
  DatasetSpec s;
  auto format =
      node.choice("format", "tfrecord",
                  {"raw", "tfrecord", "tfrecord-gzip", "tfrecord-zlib", "ffrecord", "arrow"});
  s.format = *parse_format(format);
  s.preset = node.choice("preset", "", {"", "openwebtext", "imagenet"});
  s.scale = node.number("scale", 1.0, 1e-9, 1.0);
  s.seed = static_cast<std::uint64_t>(node.integer("seed", 1, 0));
  for (const auto& p : kPresets) {
    if (s.preset == p.name) {
      s.samples = std::max<std::uint64_t>(
          1, static_cast<std::uint64_t>(std::llround(static_cast<double>(p.samples) * s.scale)));
      s.files =
          std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::llround(p.files * s.scale)));
      s.sizes = p.sizes;
    }
  }
  if (s.preset.empty()) {
    s.samples = static_cast<std::uint64_t>(node.integer("samples", std::nullopt, 1, 1ll << 40));
    s.files = static_cast<std::uint32_t>(node.integer("files", 1, 1, 1 << 20));
    if (node.has("sizes")) {
      ConfigNode sizes = node.object("sizes");
      s.sizes = parse_size_distribution(sizes);
    } else {
      s.sizes = {SizeKind::fixed, 4096, 0, 4096, 4096};
    }
  } else {
    for (const char* key : {"samples", "files", "sizes"}) {
      if (node.has(key)) node.fail(key, fmt::format("preset \"{}\" sets it", s.preset));
    }
  }
  s.fan_out = static_cast<std::uint32_t>(node.integer("fan_out", 16, 1, 1 << 20));
  if (s.files > s.samples)
    node.fail("files", fmt::format("more files than samples ({})", s.samples));
  if (s.format == DatasetFormat::raw && s.fan_out > s.samples)
    s.fan_out = static_cast<std::uint32_t>(s.samples);
  node.finish();
  return s;
}

nlohmann::json to_json(const DatasetSpec& s) {
  return {{"format", to_string(s.format)},
          {"samples", s.samples},
          {"files", s.files},
          {"fan_out", s.fan_out},
          {"sizes", to_json(s.sizes)},
          {"seed", s.seed},
          {"preset", s.preset},
          {"scale", s.scale}};
}

DatasetSpec dataset_spec_from_json(const nlohmann::json& j, const std::filesystem::path& manifest) {
  try {
    DatasetSpec s;
    auto format = parse_format(j.at("format").get<std::string>());
    if (!format) throw std::invalid_argument("unknown format");
    s.format = *format;
    s.samples = j.at("samples").get<std::uint64_t>();
    s.files = j.at("files").get<std::uint32_t>();
    s.fan_out = j.at("fan_out").get<std::uint32_t>();
    s.sizes = size_distribution_from_json(j.at("sizes"));
    s.seed = j.at("seed").get<std::uint64_t>();
    s.preset = j.at("preset").get<std::string>();
    s.scale = j.at("scale").get<double>();
    if (s.samples == 0 || s.files == 0 || s.fan_out == 0) throw std::invalid_argument("zero count");
    return s;
  } catch (const std::exception& e) {
    throw InputError(fmt::format("{}: malformed dataset spec: {}", manifest.string(), e.what()));
  }
}

std::optional<nlohmann::json> read_manifest(const std::filesystem::path& dir) {
  auto path = dir / kManifestName;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, json_depth_guard(path.string()), false);
  if (j.is_discarded() || !j.is_object() || j.value("generator", "") != "aistor") {
    throw InputError(fmt::format("{}: not a valid aistor dataset manifest", path.string()));
  }
  return j;
}

namespace {

// The existing dataset when its manifest matches `wanted`; otherwise clears what an old manifest
// lists. Refuses a non-empty directory that has no manifest.
std::optional<GenerateResult> reuse_or_clear(const std::filesystem::path& dir,
                                             const nlohmann::json& wanted) {
  auto old = read_manifest(dir);
  if (!old) {
    if (std::filesystem::directory_iterator(dir) != std::filesystem::directory_iterator()) {
      throw InputError(
          fmt::format("{}: holds files aistor did not make (no {}); give an empty or new directory",
                      dir.string(), kManifestName));
    }
    return std::nullopt;
  }
  if ((*old)["spec"] == wanted && old->value("generator_version", 0) == kGeneratorVersion &&
      old->value("complete", false)) {
    GenerateResult r;
    r.reused = true;
    r.samples = old->value("samples", std::uint64_t{0});
    r.payload_bytes = old->value("payload_bytes", std::uint64_t{0});
    r.file_bytes = old->value("file_bytes", std::uint64_t{0});
    return r;
  }
  remove_listed(dir, *old);
  return std::nullopt;
}

// Writes every part on `threads` threads, then makes it all durable with one syncfs (cheaper
// than an fsync per file). Adds the bytes written to `result`.
void write_parts(const DatasetSpec& spec, const std::filesystem::path& dir, unsigned threads,
                 const std::atomic<bool>* stop, GenerateResult& result) {
  std::uint32_t parts = parts_of(spec);
  std::mutex mu;
  std::string error;
  std::vector<std::thread> pool;
  std::atomic<std::uint32_t> next{0};
  for (unsigned t = 0; t < std::max(1u, threads); ++t) {
    pool.emplace_back([&] {
      for (std::uint32_t f = next++; f < parts; f = next++) {
        try {
          auto [payload, bytes] = write_part(spec, dir, f, stop);
          std::lock_guard lock(mu);
          result.payload_bytes += payload;
          result.file_bytes += bytes;
        } catch (const std::exception& e) {
          std::lock_guard lock(mu);
          if (error.empty()) error = e.what();
          next = parts;  // the other threads stop after their current part
        }
      }
    });
  }
  for (auto& t : pool)
    t.join();
  if (!error.empty()) throw InputError(error);
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) throw_errno("open", dir.string());
  if (::syncfs(dir_fd.get()) != 0) throw_errno("syncfs", dir.string());
}

}  // namespace

GenerateResult generate_dataset(const DatasetSpec& spec, const std::filesystem::path& dir,
                                unsigned threads, const std::atomic<bool>* stop) {
  auto wanted = to_json(spec);
  std::filesystem::create_directories(dir);
  if (auto reused = reuse_or_clear(dir, wanted)) return *reused;

  nlohmann::json files = nlohmann::json::array();
  for (std::uint32_t f = 0; f < parts_of(spec); ++f)
    files.push_back(spec.record_file(f).string());
  // The manifest goes first, marked incomplete, so an interrupted run's files are still ours.
  nlohmann::json manifest{{"generator", "aistor"},
                          {"generator_version", kGeneratorVersion},
                          {"spec", wanted},
                          {"files", files},
                          {"complete", false}};
  // Framing (TFRecord's 16 bytes, FFRecord's 12) and sample headers are small beside the mean; the
  // estimate is the mean's, so a long tail can still end in ENOSPC, reported as such.
  require_free_space(
      dir, static_cast<std::uint64_t>(static_cast<double>(spec.samples) * (spec.sizes.mean + 32.0)),
      "the dataset");
  write_file_durably(dir / kManifestName, manifest.dump(2) + "\n");

  GenerateResult result;
  auto t0 = std::chrono::steady_clock::now();
  write_parts(spec, dir, threads, stop, result);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.samples = spec.samples;
  manifest["complete"] = true;
  manifest["samples"] = spec.samples;
  manifest["payload_bytes"] = result.payload_bytes;
  manifest["file_bytes"] = result.file_bytes;
  write_file_durably(dir / kManifestName, manifest.dump(2) + "\n");
  return result;
}

}  // namespace aistor::formats
