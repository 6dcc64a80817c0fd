#pragma once
// A minimal FlatBuffers builder, enough to write Arrow IPC metadata (Schema, RecordBatch and
// Message tables): tables of scalars and offsets, strings, vectors of offsets and vectors of
// structs. Built back to front as the FlatBuffers library builds, so every offset points forward
// and every value is aligned to its size from the buffer's end (the finished buffer's size is a
// multiple of 8, so alignment holds from its start too).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace aistor::formats {

class FlatBuilder {
 public:
  // An object already written: its distance from the end of the buffer.
  using Ref = std::uint32_t;

  [[nodiscard]] Ref string(std::string_view s);
  [[nodiscard]] Ref vector(std::span<const Ref> elements);
  // A vector of `count` structs of `bytes / count` bytes each, aligned to 8.
  [[nodiscard]] Ref struct_vector(std::span<const std::byte> bytes, std::uint32_t count);

  void start_table();
  void add_u8(int id, std::uint8_t v) { add_scalar(id, v); }
  void add_i16(int id, std::int16_t v) { add_scalar(id, v); }
  void add_i32(int id, std::int32_t v) { add_scalar(id, v); }
  void add_i64(int id, std::int64_t v) { add_scalar(id, v); }
  void add_ref(int id, Ref target);
  [[nodiscard]] Ref end_table();

  // The finished buffer, `root` its root table.
  [[nodiscard]] std::vector<std::byte> finish(Ref root);

 private:
  template <typename T>
  void add_scalar(int id, T v) {
    align(sizeof(T), sizeof(T));
    prepend(&v, sizeof(T));
    fields_.emplace_back(id, size());
  }
  [[nodiscard]] Ref size() const { return static_cast<Ref>(buf_.size()); }
  // Pads so that `bytes` prepended next end up aligned to `alignment` from the end.
  void align(std::size_t bytes, std::size_t alignment);
  void prepend(const void* data, std::size_t n);
  void prepend_u32(std::uint32_t v) { prepend(&v, 4); }

  std::vector<std::byte> buf_;  // the buffer's tail, front first (prepends insert at begin)
  std::vector<std::pair<int, Ref>> fields_;  // the open table's fields
  Ref table_start_ = 0;
};

}  // namespace aistor::formats
