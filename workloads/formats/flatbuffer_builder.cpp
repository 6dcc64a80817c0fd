#include "workloads/formats/flatbuffer_builder.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace aistor::formats {

void FlatBuilder::align(std::size_t bytes, std::size_t alignment) {
  const std::size_t pad = (alignment - (buf_.size() + bytes) % alignment) % alignment;
  buf_.insert(buf_.begin(), pad, std::byte{0});
}

void FlatBuilder::prepend(const void* data, std::size_t n) {
  const auto* p = static_cast<const std::byte*>(data);
  buf_.insert(buf_.begin(), p, p + n);
}

FlatBuilder::Ref FlatBuilder::string(std::string_view s) {
  align(s.size() + 1 + 4, 4);
  buf_.insert(buf_.begin(), std::byte{0});
  prepend(s.data(), s.size());
  prepend_u32(static_cast<std::uint32_t>(s.size()));
  return size();
}

FlatBuilder::Ref FlatBuilder::vector(std::span<const Ref> elements) {
  align(4 * (elements.size() + 1), 4);
  for (auto it = elements.rbegin(); it != elements.rend(); ++it)
    prepend_u32(size() + 4 - *it);  // from the slot to its target, which lies further on
  prepend_u32(static_cast<std::uint32_t>(elements.size()));
  return size();
}

FlatBuilder::Ref FlatBuilder::struct_vector(std::span<const std::byte> bytes, std::uint32_t count) {
  align(bytes.size(), 8);
  prepend(bytes.data(), bytes.size());
  align(4, 4);
  prepend_u32(count);
  return size();
}

void FlatBuilder::start_table() {
  if (!fields_.empty()) throw std::logic_error("FlatBuilder: a table is already open");
  table_start_ = size();
}

void FlatBuilder::add_ref(int id, Ref target) {
  align(4, 4);
  prepend_u32(size() + 4 - target);
  fields_.emplace_back(id, size());
}

FlatBuilder::Ref FlatBuilder::end_table() {
  align(4, 4);
  prepend_u32(0);  // soffset to the vtable, patched below
  const Ref table = size();
  int slots = 0;
  for (const auto& [id, at] : fields_)
    slots = std::max(slots, id + 1);
  std::vector<std::uint16_t> vtable(2 + static_cast<std::size_t>(slots), 0);
  vtable[0] = static_cast<std::uint16_t>(2 * vtable.size());
  vtable[1] = static_cast<std::uint16_t>(table - table_start_);
  for (const auto& [id, at] : fields_)
    vtable[2 + static_cast<std::size_t>(id)] = static_cast<std::uint16_t>(table - at);
  fields_.clear();
  // The vtable goes right before the table (which is 4-aligned), so it needs no padding of its own
  // beyond 2-byte alignment, which its even size keeps.
  prepend(vtable.data(), 2 * vtable.size());
  const auto soffset = static_cast<std::int32_t>(size() - table);  // table - vtable, in addresses
  std::memcpy(buf_.data() + (buf_.size() - table), &soffset, 4);
  return table;
}

std::vector<std::byte> FlatBuilder::finish(Ref root) {
  align(4, 8);
  prepend_u32(size() + 4 - root);
  return std::move(buf_);
}

}  // namespace aistor::formats
