#include "workloads/formats/arrow_ipc.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "workloads/formats/arrow_fbs.hpp"

namespace aistor {
namespace {

using namespace arrow_fbs;  // NOLINT(google-build-using-namespace): the schemas' tags
constexpr char kMagic[] = "ARROW1";

// Bounds-checked little-endian reads over one flatbuffer (or the whole file); every failure
// names the byte offset in the file.
class Bytes {
 public:
  Bytes(std::span<const std::byte> b, std::uint64_t base, const std::string& name)
      : b_(b), base_(base), name_(name) {}

  [[noreturn]] void fail(std::uint64_t at, const std::string& what) const {
    throw InputError(fmt::format("{}: byte {}: {}", name_, base_ + at, what));
  }
  // A read past the end is reported at the end, naming where it pointed: never a "byte" that
  // the file does not have.
  [[noreturn]] void past_end(std::uint64_t at, std::uint64_t n) const {
    if (at >= b_.size())
      fail(b_.size(),
           fmt::format("truncated: {} bytes wanted at byte {}, past the end", n, base_ + at));
    fail(at, fmt::format("truncated: {} bytes wanted, {} left", n, b_.size() - at));
  }
  template <typename T>
  [[nodiscard]] T get(std::uint64_t at) const {
    if (at > b_.size() || b_.size() - at < sizeof(T)) past_end(at, sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + at, sizeof(T));
    return v;
  }
  [[nodiscard]] std::span<const std::byte> span(std::uint64_t at, std::uint64_t n) const {
    if (at > b_.size() || b_.size() - at < n) past_end(at, n);
    return b_.subspan(at, n);
  }
  [[nodiscard]] std::uint64_t size() const { return b_.size(); }

 private:
  std::span<const std::byte> b_;
  std::uint64_t base_;
  const std::string& name_;
};

// A flatbuffer table: fields by id through its vtable.
class Table {
 public:
  Table(const Bytes& b, std::uint64_t pos) : b_(b), pos_(pos) {
    const auto soff = b.get<std::int32_t>(pos);
    const auto vt = static_cast<std::int64_t>(pos) - soff;
    if (vt < 0) b.fail(pos, "flatbuffer vtable out of range");
    vt_ = static_cast<std::uint64_t>(vt);
    vt_size_ = b.get<std::uint16_t>(vt_);
  }
  // The field's position, or 0 when absent.
  [[nodiscard]] std::uint64_t field(int id) const {
    const std::uint64_t slot = 4 + 2 * static_cast<std::uint64_t>(id);
    if (slot + 2 > vt_size_) return 0;
    const auto off = b_.get<std::uint16_t>(vt_ + slot);
    return off == 0 ? 0 : pos_ + off;
  }
  template <typename T>
  [[nodiscard]] T scalar(int id, T fallback) const {
    const auto at = field(id);
    return at == 0 ? fallback : b_.get<T>(at);
  }
  // The position an offset field points to, or 0 when absent.
  [[nodiscard]] std::uint64_t target(int id) const {
    const auto at = field(id);
    return at == 0 ? 0 : at + b_.get<std::uint32_t>(at);
  }
  [[nodiscard]] Table table(int id) const {
    const auto t = target(id);
    if (t == 0) b_.fail(pos_, fmt::format("flatbuffer table lacks field {}", id));
    return {b_, t};
  }
  [[nodiscard]] std::string string(int id) const {
    const auto t = target(id);
    if (t == 0) return {};
    const auto n = b_.get<std::uint32_t>(t);
    const auto s = b_.span(t + 4, n);
    return {reinterpret_cast<const char*>(s.data()), s.size()};
  }
  // A vector's element count and the position of its first element (0, 0 when absent).
  [[nodiscard]] std::pair<std::uint32_t, std::uint64_t> vector(int id) const {
    const auto t = target(id);
    if (t == 0) return {0, 0};
    return {b_.get<std::uint32_t>(t), t + 4};
  }
  [[nodiscard]] const Bytes& bytes() const { return b_; }

 private:
  const Bytes& b_;
  std::uint64_t pos_, vt_ = 0, vt_size_ = 0;
};

Table root(const Bytes& b) {
  return {b, b.get<std::uint32_t>(0)};
}

ArrowField parse_field(const Table& f, int depth) {
  if (depth > 64) f.bytes().fail(0, "schema nested deeper than 64");
  ArrowField field;
  field.name = printable_utf8(f.string(0));
  field.nullable = f.scalar<std::uint8_t>(1, 0) != 0;
  if (f.target(4) != 0)
    f.bytes().fail(
        0, fmt::format("column {}: dictionary-encoded columns are not supported", field.name));
  switch (f.scalar<std::uint8_t>(2, 0)) {
    case kTypeBinary:
      field.type = ArrowType::binary;
      break;
    case kTypeUtf8:
      field.type = ArrowType::utf8;
      break;
    case kTypeLargeBinary:
      field.type = ArrowType::large_binary;
      break;
    case kTypeLargeUtf8:
      field.type = ArrowType::large_utf8;
      break;
    case kTypeInt:
      field.type = ArrowType::int_;
      break;
    case kTypeStruct:
      field.type = ArrowType::struct_;
      break;
    default:
      field.type = ArrowType::other;
  }
  const auto [n, first] = f.vector(5);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto at = first + 4ULL * i;
    field.children.push_back(
        parse_field(Table(f.bytes(), at + f.bytes().get<std::uint32_t>(at)), depth + 1));
  }
  return field;
}

// How many buffers a field's own node has (children's come after, depth-first).
int buffer_count(const ArrowField& f, const Bytes& b, std::uint64_t at) {
  switch (f.type) {
    case ArrowType::binary:
    case ArrowType::utf8:
    case ArrowType::large_binary:
    case ArrowType::large_utf8:
      return 3;
    case ArrowType::int_:
      return 2;
    case ArrowType::struct_:
      return 1;
    case ArrowType::other:
      break;
  }
  b.fail(at, fmt::format("column {}: a type this reader cannot lay out", f.name));
}

struct BatchCursor {
  const Bytes& meta;
  std::uint64_t nodes_at, buffers_at;
  std::uint32_t nodes, buffers;
  std::uint32_t node = 0, buffer = 0;
  std::span<const std::byte> body;
  std::uint64_t body_offset;
  const std::string& name;

  std::pair<std::int64_t, std::int64_t> next_node() {
    if (node >= nodes) meta.fail(nodes_at, "fewer field nodes than the schema has fields");
    const auto at = nodes_at + 16ULL * node++;
    return {meta.get<std::int64_t>(at), meta.get<std::int64_t>(at + 8)};
  }
  std::span<const std::byte> next_buffer() {
    if (buffer >= buffers) meta.fail(buffers_at, "fewer buffers than the schema needs");
    const auto at = buffers_at + 16ULL * buffer++;
    const auto off = meta.get<std::int64_t>(at), len = meta.get<std::int64_t>(at + 8);
    if (off < 0 || len < 0 || static_cast<std::uint64_t>(off) > body.size() ||
        body.size() - static_cast<std::uint64_t>(off) < static_cast<std::uint64_t>(len))
      throw InputError(fmt::format("{}: byte {}: buffer {}+{} lies outside the batch body", name,
                                   body_offset, off, len));
    return body.subspan(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
  }
};

void collect_leaves(const ArrowField& f, const std::string& prefix, BatchCursor& c,
                    std::vector<std::span<const std::byte>> parents, std::vector<ArrowLeaf>& out) {
  const auto [length, nulls] = c.next_node();
  if (length < 0 || nulls < 0 || nulls > length ||
      static_cast<std::uint64_t>(length) > c.body.size() * 8 + 8)
    throw InputError(
        fmt::format("{}: byte {}: column {}: {} rows with {} nulls is impossible in a "
                    "{}-byte batch",
                    c.name, c.body_offset, f.name, length, nulls, c.body.size()));
  const int n = buffer_count(f, c.meta, c.nodes_at);
  std::vector<std::span<const std::byte>> bufs;
  for (int i = 0; i < n; ++i)
    bufs.push_back(c.next_buffer());
  const std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
  const auto validity = nulls > 0 ? bufs[0] : std::span<const std::byte>();
  if (nulls > 0 && validity.size() * 8 < static_cast<std::uint64_t>(length))
    throw InputError(fmt::format("{}: byte {}: column {}: validity bitmap shorter than its {} rows",
                                 c.name, c.body_offset, path, length));
  if (f.type == ArrowType::struct_) {
    if (!validity.empty()) parents.push_back(validity);
    for (const auto& child : f.children)
      collect_leaves(child, path, c, parents, out);
    return;
  }
  ArrowLeaf leaf;
  leaf.path = path;
  leaf.type = f.type;
  leaf.length = length;
  leaf.null_count = nulls;
  leaf.validity = validity;
  leaf.parent_validity = std::move(parents);
  if (leaf.binary_like()) {
    leaf.offsets = bufs[1];
    leaf.data = bufs[2];
    const std::uint64_t width = arrow_large_offsets(f.type) ? 8 : 4;
    if (length > 0 && leaf.offsets.size() < width * static_cast<std::uint64_t>(length + 1))
      throw InputError(fmt::format("{}: byte {}: column {}: {} offsets for {} rows", c.name,
                                   c.body_offset, path, leaf.offsets.size() / width, length));
    std::int64_t previous = 0;
    for (std::int64_t r = 0; r <= length && length > 0; ++r) {
      const std::int64_t o = leaf.offset(r);
      if (o < previous || static_cast<std::uint64_t>(o) > leaf.data.size())
        throw InputError(
            fmt::format("{}: byte {}: column {}: row {}: offset {} out of order or "
                        "past the {} data bytes",
                        c.name, c.body_offset, path, r, o, leaf.data.size()));
      previous = o;
    }
  } else {
    leaf.data = bufs.back();
  }
  out.push_back(std::move(leaf));
}

// A row past the bitmap (a child longer than its struct) reads as null.
bool bit(std::span<const std::byte> bitmap, std::int64_t row) {
  if (static_cast<std::uint64_t>(row / 8) >= bitmap.size()) return false;
  return (std::to_integer<unsigned>(bitmap[static_cast<std::size_t>(row / 8)]) >> (row % 8)) & 1U;
}

// One record-batch message: `meta` its flatbuffer, `body` its body at byte `body_at` of `file`.
ArrowBatch read_batch(const Bytes& file, std::uint64_t at, const Bytes& meta, const Table& message,
                      std::span<const std::byte> body, std::uint64_t body_at,
                      const std::vector<ArrowField>& schema, const std::string& name) {
  const Table batch = message.table(2);
  if (batch.target(3) != 0) file.fail(at, "compressed record batches are not supported");
  const auto [nodes, nodes_at] = batch.vector(1);
  const auto [buffers, buffers_at] = batch.vector(2);
  BatchCursor c{meta, nodes_at, buffers_at, nodes, buffers, 0, 0, body, body_at, name};
  ArrowBatch out;
  out.rows = batch.scalar<std::int64_t>(0, 0);
  out.message_offset = at;
  out.body_offset = body_at;
  out.body_bytes = body.size();
  for (const auto& f : schema)
    collect_leaves(f, "", c, {}, out.leaves);
  for (const auto& leaf : out.leaves)
    if (leaf.length != out.rows)
      file.fail(at, fmt::format("column {} has {} rows in a batch of {}", leaf.path, leaf.length,
                                out.rows));
  return out;
}

// A message's framing at `at`: where its flatbuffer starts and how long it is (0: end of stream).
std::pair<std::uint64_t, std::uint32_t> message_frame(const Bytes& file, std::uint64_t at) {
  auto length = file.get<std::uint32_t>(at);
  std::uint64_t meta_at = at + 4;
  if (length == 0xFFFFFFFFU) {  // continuation marker, then the length
    length = file.get<std::uint32_t>(at + 4);
    meta_at = at + 8;
  }
  return {meta_at, length};
}

// The schema's fields, appended to `out`.
void read_schema_into(const Table& schema, std::vector<ArrowField>& out) {
  const auto [n, first] = schema.vector(1);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto f = first + 4ULL * i;
    out.push_back(parse_field(Table(schema.bytes(), f + schema.bytes().get<std::uint32_t>(f)), 0));
  }
}

}  // namespace

const char* arrow_type_name(ArrowType t) {
  switch (t) {
    case ArrowType::binary:
      return "binary";
    case ArrowType::utf8:
      return "utf8";
    case ArrowType::large_binary:
      return "large_binary";
    case ArrowType::large_utf8:
      return "large_utf8";
    case ArrowType::int_:
      return "int";
    case ArrowType::struct_:
      return "struct";
    case ArrowType::other:
      break;
  }
  return "other";
}

bool arrow_large_offsets(ArrowType t) noexcept {
  return t == ArrowType::large_binary || t == ArrowType::large_utf8;
}

bool arrow_binary_like(ArrowType t) noexcept {
  return t == ArrowType::binary || t == ArrowType::utf8 || arrow_large_offsets(t);
}

bool looks_like_arrow(const std::filesystem::path& file) {
  // By its name too, and by its trailing magic: a damaged leading magic is a damaged Arrow file,
  // reported as one, not read as some other format.
  const auto ext = file.extension();
  if (ext == ".arrow" || ext == ".arrows" || ext == ".feather" || ext == ".ipc") return true;
  std::ifstream in(file, std::ios::binary);
  char head[6] = {};
  in.read(head, sizeof head);
  if ((in.gcount() == 6 && std::memcmp(head, "ARROW1", 6) == 0) ||
      (in.gcount() >= 4 && std::memcmp(head, "\xff\xff\xff\xff", 4) == 0))
    return true;
  char tail[6] = {};
  in.clear();
  in.seekg(-6, std::ios::end);
  in.read(tail, sizeof tail);
  return in.gcount() == 6 && std::memcmp(tail, "ARROW1", 6) == 0;
}

bool ArrowLeaf::binary_like() const {
  return arrow_binary_like(type);
}

std::int64_t ArrowLeaf::offset(std::int64_t row) const {
  if (arrow_large_offsets(type)) {
    std::int64_t o;
    std::memcpy(&o, offsets.data() + 8 * row, 8);
    return o;
  }
  std::int32_t o;
  std::memcpy(&o, offsets.data() + 4 * row, 4);
  return o;
}

std::optional<std::span<const std::byte>> ArrowLeaf::value(std::int64_t row) const {
  if (row < 0 || row >= length || !binary_like()) return std::nullopt;
  for (const auto& p : parent_validity)
    if (!bit(p, row)) return std::nullopt;
  if (!validity.empty() && !bit(validity, row)) return std::nullopt;
  const std::int64_t a = offset(row), b = offset(row + 1);
  return data.subspan(static_cast<std::size_t>(a), static_cast<std::size_t>(b - a));
}

ArrowIpcFile::ArrowIpcFile(std::span<const std::byte> bytes, std::string name)
    : name_(std::move(name)) {
  const Bytes file(bytes, 0, name_);
  const bool leading = bytes.size() >= 6 && std::memcmp(bytes.data(), kMagic, 6) == 0;
  const bool trailing =
      bytes.size() >= 6 && std::memcmp(bytes.data() + bytes.size() - 6, kMagic, 6) == 0;
  if (leading) {
    read_file_format(bytes);
  } else {
    if (trailing) file.fail(0, "no leading ARROW1 magic, though the file ends with one (damaged)");
    read_stream(bytes, 0, bytes.size());
  }
  if (!have_schema_) file.fail(0, "no schema message (not an Arrow IPC file)");
}

// The file format: "ARROW1", padding, the stream, the footer, its int32 length, "ARROW1". As
// Apache Arrow's reader does, the schema and the record batches are the footer's: each block
// (offset, metadata length, body length) is checked to lie in the stream part and to frame the
// record batch message found there.
void ArrowIpcFile::read_file_format(std::span<const std::byte> bytes) {
  const Bytes file(bytes, 0, name_);
  file_format_ = true;
  if (bytes.size() < 18 || std::memcmp(bytes.data() + bytes.size() - 6, kMagic, 6) != 0)
    file.fail(bytes.size(), "no trailing ARROW1 (a truncated Arrow file)");
  const auto footer_bytes = file.get<std::uint32_t>(bytes.size() - 10);
  if (footer_bytes > bytes.size() - 18) file.fail(bytes.size() - 10, "footer length past the file");
  const std::uint64_t end = bytes.size() - 10 - footer_bytes;  // the stream part ends here
  const Bytes footer(file.span(end, footer_bytes), end, name_);
  const Table top = root(footer);
  read_schema_into(top.table(1), schema_);
  have_schema_ = true;
  if (top.vector(2).first != 0) footer.fail(0, "dictionary batches are not supported");
  const auto [n, first] = top.vector(3);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t at = first + 24ULL * i;  // struct Block { long; int; pad; long }
    const auto offset = footer.get<std::int64_t>(at);
    const auto meta = footer.get<std::int32_t>(at + 8);
    const auto body = footer.get<std::int64_t>(at + 16);
    const bool inside =
        offset >= 8 && meta >= 8 && body >= 0 && static_cast<std::uint64_t>(offset) <= end &&
        static_cast<std::uint64_t>(meta) <= end - static_cast<std::uint64_t>(offset) &&
        static_cast<std::uint64_t>(body) <=
            end - static_cast<std::uint64_t>(offset) - static_cast<std::uint64_t>(meta);
    if (!inside) {
      footer.fail(at, fmt::format("record batch block {}: offset {}, metadata {} and body {} bytes "
                                  "lie outside the stream part (bytes 8..{})",
                                  i, offset, meta, body, end));
    }
    const auto o = static_cast<std::uint64_t>(offset);
    const auto whole = static_cast<std::uint64_t>(meta) + static_cast<std::uint64_t>(body);
    batches_.push_back(parse_arrow_batch(file.span(o, whole), o, schema_, name_));
    if (batches_.back().message_bytes != whole) {
      file.fail(o, fmt::format("record batch block {} says {} bytes, the message there holds {}", i,
                               whole, batches_.back().message_bytes));
    }
  }
}

// The stream format (and the stream part of a file): messages until the end-of-stream marker.
void ArrowIpcFile::read_stream(std::span<const std::byte> bytes, std::uint64_t at,
                               std::uint64_t end) {
  const Bytes file(bytes, 0, name_);
  while (at < end) {
    const auto [meta_at, length] = message_frame(file, at);
    if (length == 0) break;  // end of stream
    const Bytes meta(file.span(meta_at, length), meta_at, name_);
    const Table message = root(meta);
    const auto type = message.scalar<std::uint8_t>(1, 0);
    const auto body_bytes = message.scalar<std::int64_t>(3, 0);
    const std::uint64_t body_at = meta_at + length;
    if (body_bytes < 0) file.fail(meta_at, "negative message body length");
    const auto body = file.span(body_at, static_cast<std::uint64_t>(body_bytes));
    if (type == kHeaderSchema) {
      if (!have_schema_) {
        read_schema_into(message.table(2), schema_);
        have_schema_ = true;
      }
    } else if (type == kHeaderRecordBatch) {
      if (!have_schema_) file.fail(at, "a record batch before the schema");
      batches_.push_back(read_batch(file, at, meta, message, body, body_at, schema_, name_));
    } else if (type == kHeaderDictionary) {
      file.fail(at, "dictionary batches are not supported");
    } else {
      file.fail(at, fmt::format("unknown message type {}", type));
    }
    at = body_at + static_cast<std::uint64_t>(body_bytes);
    if (type == kHeaderRecordBatch)
      batches_.back().message_bytes = at - batches_.back().message_offset;
  }
}

std::int64_t ArrowIpcFile::rows() const {
  std::int64_t n = 0;
  for (const auto& b : batches_)
    n += b.rows;
  return n;
}

ArrowBatch parse_arrow_batch(std::span<const std::byte> message, std::uint64_t offset,
                             const std::vector<ArrowField>& schema, const std::string& name) {
  const Bytes bytes(message, offset, name);
  const auto [meta_at, length] = message_frame(bytes, 0);
  if (length == 0) bytes.fail(0, "end of stream where a record batch was expected");
  const Bytes meta(bytes.span(meta_at, length), offset + meta_at, name);
  const Table header = root(meta);
  if (header.scalar<std::uint8_t>(1, 0) != kHeaderRecordBatch)
    bytes.fail(0, "not a record batch message");
  const auto body_bytes = header.scalar<std::int64_t>(3, 0);
  if (body_bytes < 0) bytes.fail(meta_at, "negative message body length");
  const auto body = bytes.span(meta_at + length, static_cast<std::uint64_t>(body_bytes));
  ArrowBatch out =
      read_batch(bytes, 0, meta, header, body, offset + meta_at + length, schema, name);
  out.message_offset = offset;
  out.message_bytes = meta_at + length + body.size();
  return out;
}

}  // namespace aistor
