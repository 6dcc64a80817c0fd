#pragma once
// Heap memory with a chosen alignment (O_DIRECT needs it), zero-filled, move-only.
// With `huge_pages` a buffer of at least 2 MiB is its own anonymous mapping, 2 MiB-aligned and
// advised MADV_HUGEPAGE, so the kernel backs it with transparent huge pages where it can (fewer
// TLB misses for the copies in and out of it, fewer pages to pin when a GPU registers it).
#include <cstddef>
#include <utility>

namespace aistor {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

struct HugeMapping {
  std::byte* data;
  std::size_t size;  // the bytes asked for, rounded up to whole huge pages
};
// An anonymous mapping on a 2 MiB boundary, advised MADV_HUGEPAGE, every page touched (zeros)
// so no first-touch fault lands in a timed operation; release it with munmap(data, size).
// Throws std::bad_alloc.
[[nodiscard]] HugeMapping map_huge_pages(std::size_t bytes);

class AlignedBuffer {
 public:
  AlignedBuffer() noexcept = default;
  // Throws std::bad_alloc. `alignment` must be a power of two; `bytes` is rounded up to it (to
  // 2 MiB for a huge-page buffer).
  AlignedBuffer(std::size_t bytes, std::size_t alignment, bool huge_pages = false);
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        mapped_(std::exchange(o.mapped_, false)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      mapped_ = std::exchange(o.mapped_, false);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { release(); }

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Whether this buffer is a huge-page-advised mapping of its own.
  [[nodiscard]] bool huge_pages() const noexcept { return mapped_; }

 private:
  void release() noexcept;

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace aistor
