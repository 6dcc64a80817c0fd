// GGUF (llama.cpp's weights format, v2 and v3): "GGUF", version u32, tensor count u64, metadata
// count u64, the metadata key/values, the tensor infos (name, dims, ggml type, offset relative to
// the data section), padding to general.alignment (32 by default), then the data. Little-endian.
#include <fmt/format.h>

#include <cstring>

#include <array>
#include <fstream>

#include "core/align.hpp"
#include "core/error.hpp"
#include "core/utf8.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/formats/model_file_detail.hpp"

namespace aistor::formats {
namespace {

constexpr std::uint64_t kDefaultAlignment = 32;

// ggml's type ids and the names aistor knows them by (model_file.cpp has their sizes).
struct GgmlType {
  std::uint32_t id;
  const char* name;
};
constexpr std::array<GgmlType, 20> kGgmlTypes{
    {{0, "F32"},   {1, "F16"},   {2, "Q4_0"},  {3, "Q4_1"},  {6, "Q5_0"},
     {7, "Q5_1"},  {8, "Q8_0"},  {9, "Q8_1"},  {10, "Q2_K"}, {11, "Q3_K"},
     {12, "Q4_K"}, {13, "Q5_K"}, {14, "Q6_K"}, {15, "Q8_K"}, {24, "I8"},
     {25, "I16"},  {26, "I32"},  {27, "I64"},  {28, "F64"},  {30, "BF16"}}};

enum ValueType : std::uint32_t {
  kU8 = 0,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kF32,
  kBool,
  kString,
  kArray,
  kU64,
  kI64,
  kF64
};

// Reads the header sequentially, naming the offset of whatever is cut short.
class Cursor {
 public:
  Cursor(const std::filesystem::path& path, std::uint64_t size)
      : in_(path, std::ios::binary), file_(path.string()), size_(size) {
    if (!in_) throw_errno("open", file_);
  }
  void read(void* out, std::uint64_t n, const char* what) {
    if (n > size_ - pos_) {
      throw InputError(fmt::format("{}: truncated at offset {}: {} needs {} bytes, {} left", file_,
                                   pos_, what, n, size_ - pos_));
    }
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    pos_ += n;
  }
  template <class T>
  T get(const char* what) {
    T v{};
    read(&v, sizeof v, what);  // x86-64 and GGUF are both little-endian
    return v;
  }
  std::string string(const char* what) {
    const auto n = get<std::uint64_t>(what);
    if (n > size_ - pos_) {
      throw InputError(fmt::format("{}: offset {}: {} of {} bytes runs past the end of the file",
                                   file_, pos_ - 8, what, n));
    }
    std::string s(n, '\0');
    read(s.data(), n, what);
    return printable_utf8(std::move(s));  // GGUF says UTF-8; files do not always keep to it
  }
  void skip(std::uint64_t n, const char* what) {
    if (n > size_ - pos_) {
      throw InputError(
          fmt::format("{}: truncated at offset {}: {} needs {} bytes", file_, pos_, what, n));
    }
    in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
    pos_ += n;
  }
  [[nodiscard]] std::uint64_t pos() const noexcept { return pos_; }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }

 private:
  std::ifstream in_;
  std::string file_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
};

std::uint64_t scalar_size(std::uint32_t type) {
  switch (type) {
    case kU8:
    case kI8:
    case kBool:
      return 1;
    case kU16:
    case kI16:
      return 2;
    case kU32:
    case kI32:
    case kF32:
      return 4;
    case kU64:
    case kI64:
    case kF64:
      return 8;
    default:
      return 0;
  }
}

nlohmann::json read_scalar(Cursor& c, std::uint32_t type) {
  switch (type) {
    case kU8:
      return c.get<std::uint8_t>("u8 value");
    case kI8:
      return c.get<std::int8_t>("i8 value");
    case kU16:
      return c.get<std::uint16_t>("u16 value");
    case kI16:
      return c.get<std::int16_t>("i16 value");
    case kU32:
      return c.get<std::uint32_t>("u32 value");
    case kI32:
      return c.get<std::int32_t>("i32 value");
    case kF32:
      return c.get<float>("f32 value");
    case kBool:
      return c.get<std::uint8_t>("bool value") != 0;
    case kU64:
      return c.get<std::uint64_t>("u64 value");
    case kI64:
      return c.get<std::int64_t>("i64 value");
    case kF64:
      return c.get<double>("f64 value");
    case kString:
      return c.string("string value");
    default:
      break;
  }
  throw InputError(
      fmt::format("{}: offset {}: unknown metadata value type {}", c.file(), c.pos() - 4, type));
}

// A value; long arrays (a tokenizer's 150k tokens) are summarised, not kept.
nlohmann::json read_value(Cursor& c, std::uint32_t type) {
  if (type != kArray) return read_scalar(c, type);
  const auto elem = c.get<std::uint32_t>("array type");
  const auto count = c.get<std::uint64_t>("array length");
  if (elem == kArray) {
    throw InputError(
        fmt::format("{}: offset {}: nested arrays are not supported", c.file(), c.pos()));
  }
  nlohmann::json out = nlohmann::json::array();
  const std::uint64_t size = scalar_size(elem);
  if (count > 16 && size > 0) {
    if (count > UINT64_MAX / size) {
      throw InputError(
          fmt::format("{}: offset {}: array of {} values overflows", c.file(), c.pos(), count));
    }
    c.skip(count * size, "array values");
    return {{"array_of", elem}, {"count", count}};
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    nlohmann::json v = read_scalar(c, elem);
    if (i < 16) out.push_back(std::move(v));
  }
  if (count > 16) return {{"array_of", elem}, {"count", count}};
  return out;
}

const char* ggml_name(std::uint32_t id) {
  for (const auto& t : kGgmlTypes)
    if (t.id == id) return t.name;
  return nullptr;
}

std::uint32_t ggml_id(const std::string& name) {
  for (const auto& t : kGgmlTypes)
    if (name == t.name) return t.id;
  throw InputError(fmt::format("dtype \"{}\" has no GGUF type", name));
}

// One tensor info: name, dims, ggml type and its data offset (relative to the data section,
// returned in `offset`); the tensor's offset in the file is set later.
TensorInfo read_tensor_info(Cursor& c, std::uint64_t alignment, std::uint64_t& offset) {
  TensorInfo t;
  const std::uint64_t at = c.pos();
  t.name = c.string("tensor name");
  const auto dims = c.get<std::uint32_t>("tensor dimension count");
  if (dims > 8) {
    throw InputError(
        fmt::format("{}: offset {}: tensor \"{}\" has {} dimensions", c.file(), at, t.name, dims));
  }
  for (std::uint32_t d = 0; d < dims; ++d)
    t.shape.push_back(c.get<std::uint64_t>("tensor dimension"));
  const auto type = c.get<std::uint32_t>("tensor type");
  const char* name = ggml_name(type);
  if (name == nullptr) {
    throw InputError(
        fmt::format("{}: offset {}: tensor \"{}\" has ggml type {}, which aistor "
                    "does not know",
                    c.file(), at, t.name, type));
  }
  t.dtype = name;
  offset = c.get<std::uint64_t>("tensor offset");
  if (offset % alignment != 0) {
    throw InputError(
        fmt::format("{}: offset {}: tensor \"{}\" data offset {} is not a multiple "
                    "of the alignment {}",
                    c.file(), at, t.name, offset, alignment));
  }
  try {
    t.bytes = tensor_bytes(t.dtype, detail::element_count(t.shape, t.name));
  } catch (const InputError& e) {
    throw InputError(
        fmt::format("{}: offset {}: tensor \"{}\": {}", c.file(), at, t.name, e.what()));
  }
  return t;
}

}  // namespace

ModelFile parse_gguf(const std::filesystem::path& path) {
  ModelFile m;
  m.format = ModelFormat::gguf;
  m.path = path;
  m.file_bytes = std::filesystem::file_size(path);
  Cursor c(path, m.file_bytes);
  char magic[4];
  c.read(magic, 4, "magic");
  if (std::string_view(magic, 4) != "GGUF") {
    throw InputError(fmt::format("{}: offset 0: not GGUF (bad magic)", c.file()));
  }
  m.version = c.get<std::uint32_t>("version");
  if (m.version != 2 && m.version != 3) {
    throw InputError(
        fmt::format("{}: offset 4: GGUF version {} (aistor reads 2 and 3)", c.file(), m.version));
  }
  const auto tensors = c.get<std::uint64_t>("tensor count");
  const auto kvs = c.get<std::uint64_t>("metadata count");
  // Every tensor info and key/value takes at least 8 bytes: counts beyond that are lies.
  if (tensors > m.file_bytes / 8 || kvs > m.file_bytes / 8) {
    throw InputError(
        fmt::format("{}: offset 8: {} tensors and {} metadata entries cannot fit in "
                    "{} bytes",
                    c.file(), tensors, kvs, m.file_bytes));
  }
  std::uint64_t alignment = kDefaultAlignment;
  for (std::uint64_t i = 0; i < kvs; ++i) {
    const std::string key = c.string("metadata key");
    const auto type = c.get<std::uint32_t>("metadata value type");
    nlohmann::json v = read_value(c, type);
    if (key == "general.alignment") {
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 ||
          (v.get<std::uint64_t>() & (v.get<std::uint64_t>() - 1)) != 0) {
        throw InputError(fmt::format("{}: offset {}: general.alignment {} is not a power of two",
                                     c.file(), c.pos(), v.dump()));
      }
      alignment = v.get<std::uint64_t>();
    }
    m.metadata[key] = std::move(v);
  }
  std::vector<std::uint64_t> relative;
  for (std::uint64_t i = 0; i < tensors; ++i) {
    std::uint64_t offset = 0;
    m.tensors.push_back(read_tensor_info(c, alignment, offset));
    relative.push_back(offset);
  }
  m.data_offset = align_up(c.pos(), alignment);
  for (std::size_t i = 0; i < m.tensors.size(); ++i) {
    if (relative[i] > m.file_bytes) {
      throw InputError(fmt::format("{}: tensor \"{}\" data offset {} is past the end of the file",
                                   c.file(), m.tensors[i].name, relative[i]));
    }
    m.tensors[i].offset = m.data_offset + relative[i];
  }
  detail::check_layout(m, false);
  return m;
}

namespace detail {

namespace {

// Little-endian, as GGUF is.
template <class T>
void put_le(std::string& out, T v) {
  for (std::size_t i = 0; i < sizeof v; ++i)
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
}
void put_u32(std::string& out, std::uint32_t v) {
  put_le(out, v);
}
void put_u64(std::string& out, std::uint64_t v) {
  put_le(out, v);
}
void put_string(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

// One scalar of type `type` (as put_type chose it).
void put_scalar(std::string& out, std::uint32_t type, const nlohmann::json& v) {
  switch (type) {
    case kString:
      put_string(out, v.get<std::string>());
      break;
    case kBool:
      out.push_back(v.get<bool>() ? 1 : 0);
      break;
    case kU32:
      put_u32(out, v.get<std::uint32_t>());
      break;
    case kI32:
      put_u32(out, static_cast<std::uint32_t>(v.get<std::int32_t>()));
      break;
    case kF32: {
      const auto f = static_cast<float>(v.get<double>());
      std::uint32_t bits = 0;
      std::memcpy(&bits, &f, 4);
      put_u32(out, bits);
      break;
    }
    default:  // kI64
      put_u64(out, static_cast<std::uint64_t>(v.get<std::int64_t>()));
      break;
  }
}

// The GGUF type a JSON value is written as: strings, booleans, u32 (or i64 past it), f32 for
// fractions; in an array, integers that fit are i32 (a tokenizer's token types).
std::uint32_t put_type(const std::string& key, const nlohmann::json& v, bool in_array) {
  if (v.is_string()) return kString;
  if (v.is_boolean()) return kBool;
  if (v.is_number_float()) return kF32;
  if (in_array && v.is_number_integer() && v.get<std::int64_t>() >= INT32_MIN &&
      v.get<std::int64_t>() <= INT32_MAX)
    return kI32;
  if (!in_array && v.is_number_unsigned() && v.get<std::uint64_t>() <= UINT32_MAX) return kU32;
  if (v.is_number_integer()) return kI64;
  throw InputError(fmt::format("GGUF metadata \"{}\": {} is not a string, bool or number", key,
                               v.dump().substr(0, 80)));
}

void put_value(std::string& out, const std::string& key, const nlohmann::json& v) {
  put_string(out, key);
  if (!v.is_array()) {
    const auto type = put_type(key, v, false);
    put_u32(out, type);
    put_scalar(out, type, v);
    return;
  }
  // One element type for the whole array, from its first element.
  const auto type = v.empty() ? kString : put_type(key, v.front(), true);
  put_u32(out, kArray);
  put_u32(out, type);
  put_u64(out, v.size());
  for (const auto& e : v) {
    if (put_type(key, e, true) != type)
      throw InputError(fmt::format("GGUF metadata \"{}\": an array of mixed types", key));
    put_scalar(out, type, e);
  }
}

}  // namespace

HeaderPlan plan_gguf(const std::vector<TensorSpec>& tensors, const nlohmann::json& metadata) {
  nlohmann::json meta = metadata;
  if (!meta.contains("general.architecture")) meta["general.architecture"] = "llama";
  meta["general.alignment"] = static_cast<std::uint64_t>(kDefaultAlignment);
  HeaderPlan plan;
  std::string& out = plan.bytes;
  out = "GGUF";
  put_u32(out, 3);
  put_u64(out, tensors.size());
  put_u64(out, meta.size());
  for (const auto& [key, v] : meta.items())
    put_value(out, key, v);
  std::vector<std::uint64_t> relative;
  std::uint64_t at = 0;
  for (const auto& t : tensors) {
    put_string(out, t.name);
    put_u32(out, static_cast<std::uint32_t>(t.shape.size()));
    for (std::uint64_t d : t.shape)
      put_u64(out, d);
    put_u32(out, ggml_id(t.dtype));
    put_u64(out, at);
    relative.push_back(at);
    at = align_up(at + tensor_bytes(t.dtype, element_count(t.shape, t.name)), kDefaultAlignment);
  }
  const std::uint64_t data = align_up(out.size(), kDefaultAlignment);
  out.resize(data, '\0');
  for (std::uint64_t r : relative)
    plan.offsets.push_back(data + r);
  plan.file_bytes = data;
  if (!tensors.empty()) {
    const auto& last = tensors.back();
    plan.file_bytes =
        plan.offsets.back() + tensor_bytes(last.dtype, element_count(last.shape, last.name));
  }
  return plan;
}

}  // namespace detail

}  // namespace aistor::formats
