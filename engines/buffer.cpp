#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/aligned_buffer.hpp"
#include "engines/engine.hpp"

namespace aistor {

Buffer allocate_aligned(std::size_t bytes, std::size_t alignment, bool huge_pages) {
  if (huge_pages && bytes >= kHugePage) {
    const HugeMapping m = map_huge_pages(bytes);
    return Buffer(m.data, m.size, [](std::byte* p, std::size_t n) noexcept { ::munmap(p, n); });
  }
  std::size_t size = (bytes + alignment - 1) / alignment * alignment;
  if (size == 0) size = alignment;
  auto* data = static_cast<std::byte*>(std::aligned_alloc(alignment, size));
  if (data == nullptr) throw std::bad_alloc();
  // Touch every page now so first-touch faults never land inside a timed operation.
  std::memset(data, 0, size);
  return Buffer(data, size, [](std::byte* p, std::size_t) noexcept { std::free(p); });
}

}  // namespace aistor
