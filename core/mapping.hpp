#pragma once
// A move-only owner of an mmap'ed region; the destructor unmaps it.
#include <sys/mman.h>

#include <cstddef>
#include <utility>

namespace aistor {

class Mapping {
 public:
  Mapping() noexcept = default;
  Mapping(void* addr, std::size_t length) noexcept
      : addr_(static_cast<std::byte*>(addr)), length_(length) {}
  Mapping(Mapping&& o) noexcept
      : addr_(std::exchange(o.addr_, nullptr)), length_(std::exchange(o.length_, 0)) {}
  Mapping& operator=(Mapping&& o) noexcept {
    if (this != &o) {
      reset();
      addr_ = std::exchange(o.addr_, nullptr);
      length_ = std::exchange(o.length_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  [[nodiscard]] std::byte* data() const noexcept { return addr_; }
  [[nodiscard]] std::size_t size() const noexcept { return length_; }
  void reset() noexcept {
    if (addr_ != nullptr && length_ > 0) ::munmap(addr_, length_);
    addr_ = nullptr;
    length_ = 0;
  }

 private:
  std::byte* addr_ = nullptr;
  std::size_t length_ = 0;
};

}  // namespace aistor

#include <filesystem>

namespace aistor {

// Maps a whole file read-only (MAP_SHARED). An empty file gives an empty Mapping. Throws
// SystemError naming the file.
[[nodiscard]] Mapping map_file(const std::filesystem::path& file);

}  // namespace aistor
