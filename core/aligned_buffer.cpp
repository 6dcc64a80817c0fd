#include "core/aligned_buffer.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace aistor {

HugeMapping map_huge_pages(std::size_t bytes) {
  constexpr std::size_t huge = kHugePage;
  const std::size_t size = (bytes + huge - 1) / huge * huge;
  void* raw =
      ::mmap(nullptr, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto at = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t begin = (at + huge - 1) & ~(huge - 1);
  // Trim the unaligned head and the tail the alignment left over.
  if (begin > at) ::munmap(raw, begin - at);
  const std::size_t tail = huge - (begin - at);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(begin + size), tail);
  auto* data = reinterpret_cast<std::byte*>(begin);
  // Advice only: without THP (enabled = never) the mapping still works with small pages.
  (void)::madvise(data, size, MADV_HUGEPAGE);
  std::memset(data, 0, size);
  return {data, size};
}

AlignedBuffer::AlignedBuffer(std::size_t bytes, std::size_t alignment, bool huge_pages) {
  if (huge_pages && bytes >= kHugePage) {
    const HugeMapping m = map_huge_pages(bytes);
    data_ = m.data;
    size_ = m.size;
    mapped_ = true;
    return;
  }
  size_ = (bytes + alignment - 1) / alignment * alignment;
  if (size_ == 0) size_ = alignment;
  data_ = static_cast<std::byte*>(std::aligned_alloc(alignment, size_));
  if (data_ == nullptr) throw std::bad_alloc();
  // Touch every page now so first-touch faults never land inside a timed operation.
  std::memset(data_, 0, size_);
}

void AlignedBuffer::release() noexcept {
  if (data_ == nullptr) return;
  if (mapped_) {
    ::munmap(data_, size_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
}

}  // namespace aistor
