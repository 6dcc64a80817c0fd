#pragma once
// Heap memory with a chosen alignment (O_DIRECT needs it), zero-filled, move-only.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace aistor {

class AlignedBuffer {
 public:
  AlignedBuffer() noexcept = default;
  // Throws std::bad_alloc. `alignment` must be a power of two; `bytes` is rounded up to it.
  AlignedBuffer(std::size_t bytes, std::size_t alignment) {
    size_ = (bytes + alignment - 1) / alignment * alignment;
    if (size_ == 0) size_ = alignment;
    data_ = static_cast<std::byte*>(std::aligned_alloc(alignment, size_));
    if (data_ == nullptr) throw std::bad_alloc();
    std::memset(data_, 0, size_);
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace aistor
