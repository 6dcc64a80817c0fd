#include "workloads/formats/arrow_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstring>
#include <stdexcept>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "workloads/formats/arrow_fbs.hpp"
#include "workloads/formats/flatbuffer_builder.hpp"

namespace aistor::formats {
namespace {

using namespace arrow_fbs;  // NOLINT(google-build-using-namespace): the schemas' tags

std::uint8_t type_tag(const ArrowField& f) {
  switch (f.type) {
    case ArrowType::binary:
      return kTypeBinary;
    case ArrowType::utf8:
      return kTypeUtf8;
    case ArrowType::large_binary:
      return kTypeLargeBinary;
    case ArrowType::large_utf8:
      return kTypeLargeUtf8;
    case ArrowType::int_:
      return kTypeInt;
    case ArrowType::struct_:
      return kTypeStruct;
    case ArrowType::other:
      break;
  }
  throw std::invalid_argument(fmt::format("arrow writer: column {} has no writable type", f.name));
}

FlatBuilder::Ref write_field(FlatBuilder& fb, const ArrowField& f) {
  std::vector<FlatBuilder::Ref> children;
  for (const auto& c : f.children)
    children.push_back(write_field(fb, c));
  const auto children_ref = fb.vector(children);
  const auto name = fb.string(f.name);
  fb.start_table();  // the type's own table: Int has fields, the others none
  if (f.type == ArrowType::int_) {
    fb.add_i32(0, 64);
    fb.add_u8(1, 1);
  }
  const auto type = fb.end_table();
  fb.start_table();
  fb.add_ref(0, name);
  fb.add_u8(1, f.nullable ? 1 : 0);
  fb.add_u8(2, type_tag(f));
  fb.add_ref(3, type);
  fb.add_ref(5, children_ref);
  return fb.end_table();
}

std::vector<std::byte> message(FlatBuilder& fb, std::uint8_t header_type, FlatBuilder::Ref header,
                               std::int64_t body_bytes) {
  fb.start_table();
  fb.add_i64(3, body_bytes);
  fb.add_ref(2, header);
  fb.add_i16(0, kVersionV5);
  fb.add_u8(1, header_type);
  return fb.finish(fb.end_table());
}

struct Pair {
  std::int64_t a, b;
};

// Lays out a batch's body: nodes and buffers in the schema's depth-first order.
class BodyBuilder {
 public:
  void node(std::int64_t length) { nodes_.push_back({length, 0}); }
  void buffer(std::span<const std::byte> bytes) {
    buffers_.push_back(
        {static_cast<std::int64_t>(body_.size()), static_cast<std::int64_t>(bytes.size())});
    body_.insert(body_.end(), bytes.begin(), bytes.end());
    body_.resize((body_.size() + 7) / 8 * 8, std::byte{0});
  }
  void add(const ArrowField& f, std::int64_t rows, std::span<const ArrowColumn> leaves,
           std::size_t& leaf) {
    node(rows);
    buffer({});  // validity: none, every value is present
    if (f.type == ArrowType::struct_) {
      for (const auto& c : f.children)
        add(c, rows, leaves, leaf);
      return;
    }
    if (leaf >= leaves.size())
      throw std::invalid_argument("arrow writer: fewer columns than the schema has leaves");
    const ArrowColumn& col = leaves[leaf++];
    if (arrow_binary_like(f.type)) {
      if (static_cast<std::int64_t>(col.offsets().size()) != rows + 1)
        throw std::invalid_argument(fmt::format("arrow writer: column {}: {} values in {} rows",
                                                f.name, col.offsets().size() - 1, rows));
      if (arrow_large_offsets(f.type)) {
        buffer(std::as_bytes(std::span(col.offsets())));
      } else {
        if (col.offsets().back() > INT32_MAX)
          throw std::invalid_argument(
              fmt::format("arrow writer: column {}: {} bytes in one batch need a large type",
                          f.name, col.offsets().back()));
        std::vector<std::int32_t> narrow(col.offsets().begin(), col.offsets().end());
        buffer(std::as_bytes(std::span(narrow)));
      }
      buffer(col.data());
    } else {
      if (static_cast<std::int64_t>(col.data().size()) != 8 * rows)
        throw std::invalid_argument(
            fmt::format("arrow writer: column {}: {} bytes for {} int64 rows", f.name,
                        col.data().size(), rows));
      buffer(col.data());
    }
  }

  std::vector<Pair> nodes_, buffers_;
  std::vector<std::byte> body_;
};

}  // namespace

void ArrowColumn::append(std::span<const std::byte> value) {
  data_.insert(data_.end(), value.begin(), value.end());
  offsets_.push_back(static_cast<std::int64_t>(data_.size()));
}

void ArrowColumn::append(std::int64_t value) {
  const auto* p = reinterpret_cast<const std::byte*>(&value);
  data_.insert(data_.end(), p, p + 8);
}

void ArrowColumn::clear() {
  offsets_.assign(1, 0);
  data_.clear();
}

ArrowStreamWriter::ArrowStreamWriter(
    const std::filesystem::path& file, std::vector<ArrowField> schema,
    const std::vector<std::pair<std::string, std::string>>& metadata)
    : path_(file), schema_(std::move(schema)) {
  FlatBuilder fb;
  std::vector<FlatBuilder::Ref> kvs;
  for (const auto& [k, v] : metadata) {
    const auto value = fb.string(v);
    const auto key = fb.string(k);
    fb.start_table();
    fb.add_ref(0, key);
    fb.add_ref(1, value);
    kvs.push_back(fb.end_table());
  }
  const auto kv_ref = fb.vector(kvs);
  std::vector<FlatBuilder::Ref> fields;
  for (const auto& f : schema_)
    fields.push_back(write_field(fb, f));
  const auto fields_ref = fb.vector(fields);
  fb.start_table();
  fb.add_ref(1, fields_ref);
  fb.add_ref(2, kv_ref);
  const auto schema_ref = fb.end_table();
  const auto meta = message(fb, kHeaderSchema, schema_ref, 0);
  fd_ = UniqueFd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd_) throw_errno("open", file.string());
  write_message(meta, {});
}

void ArrowStreamWriter::write_batch(std::int64_t rows, std::span<const ArrowColumn> leaves) {
  if (finished_) throw std::logic_error("arrow writer: write_batch after finish");
  BodyBuilder body;
  std::size_t leaf = 0;
  for (const auto& f : schema_)
    body.add(f, rows, leaves, leaf);
  if (leaf != leaves.size())
    throw std::invalid_argument("arrow writer: more columns than the schema has leaves");
  FlatBuilder fb;
  const auto buffers = fb.struct_vector(std::as_bytes(std::span(body.buffers_)),
                                        static_cast<std::uint32_t>(body.buffers_.size()));
  const auto nodes = fb.struct_vector(std::as_bytes(std::span(body.nodes_)),
                                      static_cast<std::uint32_t>(body.nodes_.size()));
  fb.start_table();
  fb.add_i64(0, rows);
  fb.add_ref(1, nodes);
  fb.add_ref(2, buffers);
  const auto batch = fb.end_table();
  write_message(
      message(fb, kHeaderRecordBatch, batch, static_cast<std::int64_t>(body.body_.size())),
      body.body_);
}

void ArrowStreamWriter::write_message(std::span<const std::byte> metadata,
                                      std::span<const std::byte> body) {
  // Continuation marker, metadata length (padded so the body starts 8-aligned), metadata, body.
  const std::size_t padded = (8 + metadata.size() + 7) / 8 * 8 - 8;
  std::vector<std::byte> out(8 + padded, std::byte{0});
  const std::uint32_t marker = 0xFFFFFFFFU, length = static_cast<std::uint32_t>(padded);
  std::memcpy(out.data(), &marker, 4);
  std::memcpy(out.data() + 4, &length, 4);
  std::memcpy(out.data() + 8, metadata.data(), metadata.size());
  out.insert(out.end(), body.begin(), body.end());
  const auto n = pwrite_full(fd_.get(), out.data(), out.size(), at_);
  if (n < 0) throw_system(static_cast<int>(-n), "pwrite", path_.string());
  at_ += out.size();
}

void ArrowStreamWriter::finish(bool sync) {
  if (finished_) return;
  const std::uint32_t eos[2] = {0xFFFFFFFFU, 0};
  const auto n = pwrite_full(fd_.get(), reinterpret_cast<const std::byte*>(eos), sizeof eos, at_);
  if (n < 0) throw_system(static_cast<int>(-n), "pwrite", path_.string());
  at_ += sizeof eos;
  if (sync && ::fsync(fd_.get()) != 0) throw_errno("fsync", path_.string());
  fd_ = UniqueFd();
  finished_ = true;
}

}  // namespace aistor::formats
