#pragma once
// RAII for the CUDA resources aistor holds: device memory, pinned host memory (allocated, or
// registered over memory someone else allocated), streams and events. Move-only; destructors
// never throw and release on the device the resource was made on. Every constructor throws
// GpuError naming the call and the GPU. Included only inside cuda/.
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_error.hpp"

namespace aistor::cuda {

// Makes `device` current for this thread for the guard's lifetime; restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
  bool restore_ = false;
};

template <class Tag>
class Handle {
 public:
  using Raw = typename Tag::Raw;
  Handle() noexcept = default;
  Handle(Raw raw, int device, std::size_t size = 0) noexcept
      : raw_(raw), device_(device), size_(size) {}
  Handle(Handle&& o) noexcept
      : raw_(std::exchange(o.raw_, Raw{})), device_(o.device_), size_(std::exchange(o.size_, 0)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      raw_ = std::exchange(o.raw_, Raw{});
      device_ = o.device_;
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  [[nodiscard]] Raw get() const noexcept { return raw_; }
  [[nodiscard]] int device() const noexcept { return device_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] explicit operator bool() const noexcept { return raw_ != Raw{}; }

 private:
  void reset() noexcept {
    if (raw_ != Raw{}) Tag::release(raw_, device_);
    raw_ = Raw{};
  }
  Raw raw_{};
  int device_ = 0;
  std::size_t size_ = 0;
};

struct DeviceMemoryTag {
  using Raw = void*;
  static void release(void* p, int device) noexcept;
};
struct PinnedMemoryTag {
  using Raw = void*;
  static void release(void* p, int device) noexcept;
};
struct HostRegistrationTag {
  using Raw = void*;
  static void release(void* p, int device) noexcept;
};
struct StreamTag {
  using Raw = cudaStream_t;
  static void release(cudaStream_t s, int device) noexcept;
};
struct EventTag {
  using Raw = cudaEvent_t;
  static void release(cudaEvent_t e, int device) noexcept;
};

using DeviceMemory = Handle<DeviceMemoryTag>;          // cudaMalloc / cudaFree
using PinnedMemory = Handle<PinnedMemoryTag>;          // cudaHostAlloc / cudaFreeHost
using HostRegistration = Handle<HostRegistrationTag>;  // cudaHostRegister / cudaHostUnregister
using Stream = Handle<StreamTag>;                      // non-blocking stream
using Event = Handle<EventTag>;                        // timing disabled: for completion only

[[nodiscard]] DeviceMemory device_alloc(std::size_t bytes, int device);
[[nodiscard]] PinnedMemory pinned_alloc(std::size_t bytes, int device);
// Pins [p, p + bytes) for the GPU; the memory must outlive the registration.
[[nodiscard]] HostRegistration host_register(void* p, std::size_t bytes, int device);
[[nodiscard]] Stream make_stream(int device);
[[nodiscard]] Event make_event(int device);

}  // namespace aistor::cuda
