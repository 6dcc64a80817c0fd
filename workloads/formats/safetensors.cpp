// safetensors: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {...}}, then the
// data; offsets are relative to the data and the tensors cover it exactly.
#include <fmt/format.h>

#include <fstream>

#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/formats/model_file_detail.hpp"

namespace aistor::formats {
namespace {

constexpr std::uint64_t kMaxHeader = 100'000'000;  // the reference implementation's limit

std::uint64_t le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

// `entry` is the byte of the file where the tensor's entry (its quoted name) starts.
TensorInfo parse_tensor(const std::string& file, const std::string& name, const nlohmann::json& t,
                        std::uint64_t data_offset, std::uint64_t entry) {
  const std::string where = fmt::format("{}: offset {}: tensor \"{}\"", file, entry, name);
  if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") ||
      !t.contains("data_offsets")) {
    throw InputError(where + ": needs dtype, shape and data_offsets");
  }
  if (!t["dtype"].is_string()) throw InputError(where + ": dtype is not a string");
  TensorInfo info;
  info.name = name;
  info.dtype = t["dtype"].get<std::string>();
  if (!t["shape"].is_array()) throw InputError(where + ": shape is not a list");
  for (const auto& d : t["shape"]) {
    if (!d.is_number_unsigned()) throw InputError(where + ": shape holds " + d.dump());
    info.shape.push_back(d.get<std::uint64_t>());
  }
  const auto& off = t["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
      !off[1].is_number_unsigned() || off[0].get<std::uint64_t>() > off[1].get<std::uint64_t>()) {
    throw InputError(where + ": data_offsets must be [begin, end] with begin <= end, got " +
                     off.dump());
  }
  const auto begin = off[0].get<std::uint64_t>();
  const auto end = off[1].get<std::uint64_t>();
  std::uint64_t expect = 0;
  try {
    expect = tensor_bytes(info.dtype, detail::element_count(info.shape, where));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
  if (end - begin != expect) {
    throw InputError(fmt::format("{}: data_offsets [{}, {}] hold {} bytes, but {} {} needs {}",
                                 where, begin, end, end - begin, nlohmann::json(info.shape).dump(),
                                 info.dtype, expect));
  }
  info.offset = data_offset + begin;
  info.bytes = expect;
  return info;
}

}  // namespace

ModelFile parse_safetensors(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("open", file);
  ModelFile m;
  m.format = ModelFormat::safetensors;
  m.path = path;
  m.file_bytes = std::filesystem::file_size(path);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  if (in.gcount() != 8) {
    throw InputError(
        fmt::format("{}: truncated at offset {}: no 8-byte header length", file, in.gcount()));
  }
  const std::uint64_t n = le64(len);
  if (n > kMaxHeader) {
    throw InputError(
        fmt::format("{}: offset 0: header length {} is over the 100 MB limit", file, n));
  }
  if (8 + n > m.file_bytes) {
    throw InputError(
        fmt::format("{}: offset 0: header length {} runs past the end of the file "
                    "({} bytes)",
                    file, n, m.file_bytes));
  }
  std::string header(n, '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  m.data_offset = 8 + n;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header, json_depth_guard(file + ": offset 8: header"));
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann rejects ill-formed UTF-8 as a parse error too; e.byte is 1-based in the header.
    // The parser quotes what it read, which may be the very bytes that are not UTF-8.
    std::string why = e.what();
    for (char& ch : why)
      if (ch < 0x20 || ch >= 0x7f) ch = '?';
    throw InputError(fmt::format("{}: offset {}: header is not UTF-8 JSON ({})", file,
                                 8 + (e.byte > 0 ? e.byte - 1 : 0), why));
  } catch (const nlohmann::json::exception& e) {  // a number too large for any type (406)
    throw InputError(fmt::format("{}: offset 8: header is not usable JSON ({})", file, e.what()));
  }
  if (!j.is_object())
    throw InputError(fmt::format("{}: offset 8: header is not a JSON object", file));
  for (const auto& [name, t] : j.items()) {
    if (name == "__metadata__") {
      m.metadata = t;
      continue;
    }
    // Where the entry starts in the file: its name as the header writes it (escaped).
    const auto at = header.find(nlohmann::json(name).dump());
    m.tensors.push_back(
        parse_tensor(file, name, t, m.data_offset, 8 + (at == std::string::npos ? 0 : at)));
  }
  detail::check_layout(m, true);
  if (m.data_offset + m.data_bytes != m.file_bytes) {
    throw InputError(fmt::format("{}: bytes {}..{} at the end belong to no tensor", file,
                                 m.data_offset + m.data_bytes, m.file_bytes));
  }
  return m;
}

namespace detail {

HeaderPlan plan_safetensors(const std::vector<TensorSpec>& tensors,
                            const nlohmann::json& metadata) {
  nlohmann::json j = nlohmann::json::object();
  if (!metadata.empty()) j["__metadata__"] = metadata;
  std::vector<std::uint64_t> relative;
  std::uint64_t at = 0;
  for (const auto& t : tensors) {
    const std::uint64_t bytes = tensor_bytes(t.dtype, element_count(t.shape, t.name));
    j[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {at, at + bytes}}};
    relative.push_back(at);
    at += bytes;
  }
  std::string text = j.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');  // data 8-byte aligned, as safetensors pads
  HeaderPlan plan;
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i)
    plan.bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  plan.bytes += text;
  for (std::uint64_t r : relative)
    plan.offsets.push_back(plan.bytes.size() + r);
  plan.file_bytes = plan.bytes.size() + at;
  return plan;
}

}  // namespace detail

}  // namespace aistor::formats
