#include <cstdlib>
#include <cstring>
#include <new>

#include "engines/engine.hpp"

namespace aistor {

Buffer allocate_aligned(std::size_t bytes, std::size_t alignment) {
  std::size_t size = (bytes + alignment - 1) / alignment * alignment;
  if (size == 0) size = alignment;
  auto* data = static_cast<std::byte*>(std::aligned_alloc(alignment, size));
  if (data == nullptr) throw std::bad_alloc();
  // Touch every page now so first-touch faults never land inside a timed operation.
  std::memset(data, 0, size);
  return Buffer(data, size, [](std::byte* p, std::size_t) noexcept { std::free(p); });
}

}  // namespace aistor
