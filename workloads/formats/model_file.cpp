#include "workloads/formats/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <string_view>

#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/free_space.hpp"
#include "core/random_bytes.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/model_file_detail.hpp"

namespace aistor::formats {
namespace {

struct DtypeSize {
  std::string_view name;
  std::uint64_t block;        // elements per block
  std::uint64_t block_bytes;  // bytes per block
};

// safetensors' dtypes and ggml's types by their GGUF names (block sizes from ggml).
constexpr std::array<DtypeSize, 27> kDtypes{{
    {"BOOL", 1, 1},     {"U8", 1, 1},       {"I8", 1, 1},       {"F8_E4M3", 1, 1},
    {"F8_E5M2", 1, 1},  {"U16", 1, 2},      {"I16", 1, 2},      {"F16", 1, 2},
    {"BF16", 1, 2},     {"U32", 1, 4},      {"I32", 1, 4},      {"F32", 1, 4},
    {"U64", 1, 8},      {"I64", 1, 8},      {"F64", 1, 8},      {"Q4_0", 32, 18},
    {"Q4_1", 32, 20},   {"Q5_0", 32, 22},   {"Q5_1", 32, 24},   {"Q8_0", 32, 34},
    {"Q8_1", 32, 36},   {"Q2_K", 256, 84},  {"Q3_K", 256, 110}, {"Q4_K", 256, 144},
    {"Q5_K", 256, 176}, {"Q6_K", 256, 210}, {"Q8_K", 256, 292},
}};

}  // namespace

const char* to_string(ModelFormat f) noexcept {
  return f == ModelFormat::gguf ? "gguf" : "safetensors";
}

std::uint64_t tensor_bytes(const std::string& dtype, std::uint64_t elements) {
  for (const auto& d : kDtypes) {
    if (d.name != dtype) continue;
    if (elements % d.block != 0) {
      throw InputError(fmt::format("{} elements are not whole {}-element blocks of {}", elements,
                                   d.block, dtype));
    }
    return elements / d.block * d.block_bytes;
  }
  throw InputError(fmt::format("unknown dtype \"{}\"", dtype));
}

bool looks_like_model_file(const std::filesystem::path& path) {
  const auto ext = path.extension();
  if (ext == ".safetensors" || ext == ".gguf") return true;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::string_view(magic, 4) == "GGUF";
}

nlohmann::json inspection_of(const ModelFile& m) {
  nlohmann::json dtypes = nlohmann::json::object();
  for (const auto& t : m.tensors) {
    auto& d = dtypes[t.dtype];
    if (d.is_null()) d = {{"tensors", 0}, {"bytes", std::uint64_t{0}}};
    d["tensors"] = d["tensors"].get<std::uint64_t>() + 1;
    d["bytes"] = d["bytes"].get<std::uint64_t>() + t.bytes;
  }
  nlohmann::json j{{"path", m.path.string()},
                   {"format", to_string(m.format)},
                   {"tensors", m.tensors.size()},
                   {"dtypes", dtypes},
                   {"tensor_bytes", m.data_bytes},
                   {"file_bytes", m.file_bytes},
                   {"header_bytes", m.data_offset},
                   {"checked", m.format == ModelFormat::gguf
                                   ? "magic, version, metadata, tensor infos, types, alignment, "
                                     "offsets in the file and not overlapping"
                                   : "header length, UTF-8 JSON, dtypes, shapes against "
                                     "data_offsets, tensors covering the data with no gap or "
                                     "overlap"}};
  if (m.format == ModelFormat::gguf) {
    j["version"] = m.version;
    if (m.metadata.contains("general.architecture")) {
      j["architecture"] = m.metadata["general.architecture"];
    }
  }
  return j;
}

ModelFile read_model_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("open", path.string());
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string_view(magic, 4) == "GGUF") return parse_gguf(path);
  return parse_safetensors(path);
}

namespace detail {

std::uint64_t element_count(const std::vector<std::uint64_t>& shape, const std::string& where) {
  std::uint64_t n = 1;
  for (std::uint64_t d : shape) {
    if (d != 0 && n > UINT64_MAX / d) throw InputError(fmt::format("{}: shape overflows", where));
    n *= d;
  }
  return n;
}

void check_layout(ModelFile& m, bool contiguous) {
  // By offset, and at one offset the empty tensors first: an empty tensor ([40, 40], as the
  // safetensors library writes one) shares its offset with the next tensor without overlapping it.
  std::stable_sort(
      m.tensors.begin(), m.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return a.offset != b.offset ? a.offset < b.offset : (a.bytes == 0 && b.bytes != 0);
      });
  std::uint64_t at = m.data_offset;
  const std::string file = m.path.string();
  for (const auto& t : m.tensors) {
    if (t.offset < at) {
      const auto& prev = *(&t - 1);
      throw InputError(fmt::format("{}: tensor \"{}\" at offset {} overlaps \"{}\" ({}..{})", file,
                                   t.name, t.offset, prev.name, prev.offset,
                                   prev.offset + prev.bytes));
    }
    if (contiguous && t.offset != at) {
      throw InputError(fmt::format("{}: bytes {}..{} belong to no tensor (before \"{}\")", file, at,
                                   t.offset, t.name));
    }
    if (t.offset > m.file_bytes || t.bytes > m.file_bytes - t.offset) {
      throw InputError(
          fmt::format("{}: tensor \"{}\" ({} bytes at offset {}) runs past the end "
                      "of the file ({} bytes)",
                      file, t.name, t.bytes, t.offset, m.file_bytes));
    }
    at = t.offset + t.bytes;
  }
  m.data_bytes = 0;
  for (const auto& t : m.tensors)
    m.data_bytes += t.bytes;
}

}  // namespace detail

ModelFile write_model_file(const std::filesystem::path& path, ModelFormat format,
                           const std::vector<TensorSpec>& tensors, std::uint64_t seed,
                           const nlohmann::json& metadata) {
  const detail::HeaderPlan plan = format == ModelFormat::gguf
                                      ? detail::plan_gguf(tensors, metadata)
                                      : detail::plan_safetensors(tensors, metadata);
  // One name per process: runs sharing a directory may generate the same model at once, and
  // each renames its own complete copy into place.
  require_free_space(path.parent_path().empty() ? "." : path.parent_path(), plan.file_bytes,
                     "the model file");
  DurableTemporary durable(path);  // removed on any failure: a full disk, say
  const auto& tmp = durable.temporary();
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) throw_errno("open", tmp.string());
    auto write_all = [&](const void* data, std::size_t n, std::uint64_t at) {
      const auto* p = static_cast<const char*>(data);
      while (n > 0) {
        const ssize_t w = ::pwrite(fd.get(), p, n, static_cast<off_t>(at));
        if (w < 0) {
          if (errno == EINTR) continue;
          throw_errno("pwrite", tmp.string());
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        at += static_cast<std::uint64_t>(w);
      }
    };
    write_all(plan.bytes.data(), plan.bytes.size(), 0);
    // Gaps (GGUF alignment padding) stay zero: the file is sized first, then tensors written.
    if (::ftruncate(fd.get(), static_cast<off_t>(plan.file_bytes)) != 0) {
      throw_errno("ftruncate", tmp.string());
    }
    std::vector<std::byte> chunk(8 << 20);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const std::uint64_t bytes =
          tensor_bytes(tensors[i].dtype, detail::element_count(tensors[i].shape, tensors[i].name));
      for (std::uint64_t done = 0; done < bytes; done += chunk.size()) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), bytes - done));
        fill_random(chunk.data(), n, seed + i * 1000003 + done);
        write_all(chunk.data(), n, plan.offsets[i] + done);
      }
    }
    if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp.string());
  }
  durable.commit();
  return read_model_file(path);
}

}  // namespace aistor::formats
