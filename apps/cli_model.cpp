// `aistor gen model`: real safetensors or GGUF files of a preset's shape, scaled, or of a size.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>
#include <ostream>

#include "apps/cli.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "workloads/formats/gguf_metadata.hpp"
#include "workloads/formats/model_preset.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "aistor: usage: aistor gen model --out FILE [--format safetensors|gguf] "
    "[--preset 7b|32b|qwen2-7b|qwen2.5-32b|llama2-7b [--scale S] | --size SIZE | --params N] "
    "[--dtype D] "
    "[--seed N] [--force]\n";

struct ModelArgs {
  std::string out;
  formats::ModelFormat format = formats::ModelFormat::safetensors;
  std::string preset;
  double scale = 1.0;
  std::uint64_t size = 0;
  std::uint64_t params = 0;
  std::string dtype;
  std::uint64_t seed = 1;
  bool force = false;  // replace an existing regular file at --out
};

ModelArgs parse(const std::vector<std::string>& args) {
  ModelArgs m;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--force") {
      m.force = true;
      continue;
    }
    if (i + 1 >= args.size()) throw InputError(fmt::format("gen model: {} needs a value", args[i]));
    const std::string& key = args[i];
    const std::string& v = args[++i];
    if (key == "--out") {
      m.out = v;
    } else if (key == "--format") {
      if (v != "safetensors" && v != "gguf") {
        throw InputError(fmt::format("gen model: --format: \"{}\" is not safetensors or gguf", v));
      }
      m.format = v == "gguf" ? formats::ModelFormat::gguf : formats::ModelFormat::safetensors;
    } else if (key == "--preset") {
      m.preset = v;
    } else if (key == "--scale") {
      char* end = nullptr;
      m.scale = std::strtod(v.c_str(), &end);
      if (end != v.c_str() + v.size() || !(m.scale > 0) || m.scale > 1000) {
        throw InputError(fmt::format("gen model: --scale: \"{}\" is not a number in (0, 1000]", v));
      }
    } else if (key == "--size") {
      auto n = parse_size(v);
      if (!n || *n == 0)
        throw InputError(fmt::format("gen model: --size: \"{}\" is not a size", v));
      m.size = *n;
    } else if (key == "--params") {
      auto n = parse_size(v);
      if (!n || *n == 0)
        throw InputError(fmt::format("gen model: --params: \"{}\" is not a count", v));
      m.params = *n;
    } else if (key == "--dtype") {
      m.dtype = v;
    } else if (key == "--seed") {
      auto n = parse_size(v);
      if (!n) throw InputError(fmt::format("gen model: --seed: \"{}\" is not a number", v));
      m.seed = *n;
    } else {
      throw InputError(fmt::format("gen model: unknown option {}", key));
    }
  }
  if (m.out.empty()) throw InputError("gen model: --out FILE is required");
  if (!m.preset.empty() + (m.size != 0) + (m.params != 0) != 1) {
    throw InputError("gen model: give one of --preset (with --scale), --size or --params");
  }
  if (m.dtype.empty()) m.dtype = m.format == formats::ModelFormat::gguf ? "Q4_K" : "BF16";
  (void)formats::tensor_bytes(m.dtype, 256);  // an unknown dtype is an error before any write
  return m;
}

// What is at --out may be replaced: nothing, or a regular file when --force says so. Never a
// symbolic link (its target is someone's), a directory or a device.
void check_out(const ModelArgs& m) {
  std::error_code ec;
  const auto st = std::filesystem::symlink_status(m.out, ec);
  if (ec || !std::filesystem::exists(st)) return;
  if (std::filesystem::is_symlink(st))
    throw InputError(
        fmt::format("gen model: {}: a symbolic link; aistor writes no file through "
                    "one (give the file's own path)",
                    m.out));
  if (std::filesystem::is_directory(st))
    throw InputError(fmt::format("gen model: {}: a directory; --out names the model file", m.out));
  if (!std::filesystem::is_regular_file(st))
    throw InputError(fmt::format("gen model: {}: not a regular file", m.out));
  if (!m.force)
    throw InputError(fmt::format("gen model: {}: exists; give --force to replace it", m.out));
}

}  // namespace

int gen_model(const std::vector<std::string>& args, Streams io) {
  ModelArgs m;
  formats::ModelShape shape;
  try {
    m = parse(args);
    shape = m.size     ? formats::model_shape_of_size(m.size, m.dtype)
            : m.params ? formats::model_shape_of_parameters(m.params, m.dtype)
                       : formats::scaled(formats::model_preset(m.preset), m.scale);
    check_out(m);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n{}", e.what(), kUsage);
    return 2;
  }
  try {
    const std::uint64_t start = now_ns();
    const auto tensors = formats::model_tensors(shape, m.format, m.dtype);
    const auto metadata = m.format == formats::ModelFormat::gguf
                              ? formats::gguf_metadata(shape, m.dtype)
                              : nlohmann::json::object();
    const auto file = formats::write_model_file(m.out, m.format, tensors, m.seed, metadata);
    const double s = static_cast<double>(now_ns() - start) / 1e9;
    fmt::print(io.out, "{}: {} {} tensors ({} layers, {}), {} ({} bytes) in {:.2f} s\n", m.out,
               formats::to_string(m.format), file.tensors.size(), shape.layers, m.dtype,
               human_bytes(static_cast<double>(file.file_bytes)), file.file_bytes, s);
    if (m.size != 0) {
      fmt::print(io.out,
                 "--size {} is met approximately (whole tensors of a real shape): made {}\n",
                 human_bytes(static_cast<double>(m.size)),
                 human_bytes(static_cast<double>(file.file_bytes)));
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: gen model: {}\n", e.what());
    return 1;
  }
}

}  // namespace aistor::cli
