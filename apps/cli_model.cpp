// `aistor gen model`: real safetensors or GGUF files of a preset's shape, scaled, or of a size.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <ostream>

#include "apps/cli.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "workloads/formats/model_preset.hpp"

namespace aistor::cli {
namespace {

constexpr const char* kUsage =
    "aistor: usage: aistor gen model --out FILE [--format safetensors|gguf] "
    "[--preset 7b|32b|qwen2-7b|qwen2.5-32b|llama2-7b [--scale S] | --size SIZE | --params N] "
    "[--dtype D] "
    "[--seed N]\n";

struct ModelArgs {
  std::string out;
  formats::ModelFormat format = formats::ModelFormat::safetensors;
  std::string preset;
  double scale = 1.0;
  std::uint64_t size = 0;
  std::uint64_t params = 0;
  std::string dtype;
  std::uint64_t seed = 1;
};

ModelArgs parse(const std::vector<std::string>& args) {
  ModelArgs m;
  for (std::size_t i = 0; i < args.size(); ++i) {
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

}  // namespace

int gen_model(const std::vector<std::string>& args, Streams io) {
  ModelArgs m;
  formats::ModelShape shape;
  try {
    m = parse(args);
    shape = m.size     ? formats::model_shape_of_size(m.size, m.dtype)
            : m.params ? formats::model_shape_of_parameters(m.params, m.dtype)
                       : formats::scaled(formats::model_preset(m.preset), m.scale);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n{}", e.what(), kUsage);
    return 2;
  }
  try {
    const std::uint64_t start = now_ns();
    const auto tensors = formats::model_tensors(shape, m.format, m.dtype);
    const auto file = formats::write_model_file(m.out, m.format, tensors, m.seed);
    const double s = static_cast<double>(now_ns() - start) / 1e9;
    fmt::print(io.out, "{}: {} {} tensors ({} layers, {}), {} in {:.2f} s\n", m.out,
               formats::to_string(m.format), file.tensors.size(), shape.layers, m.dtype,
               human_bytes(static_cast<double>(file.file_bytes)), s);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: gen model: {}\n", e.what());
    return 1;
  }
}

}  // namespace aistor::cli
