#include "cuda/cuda_resources.hpp"

#include <fmt/format.h>

namespace aistor::cuda {

GpuError::GpuError(cudaError_t err, const char* call, int device)
    : std::runtime_error(fmt::format("{} (GPU {}): {}", call, device, cudaGetErrorString(err))),
      err_(err) {}

DeviceGuard::DeviceGuard(int device) {
  check(cudaGetDevice(&previous_), "cudaGetDevice", device);
  if (previous_ != device) {
    check(cudaSetDevice(device), "cudaSetDevice", device);
    restore_ = true;
  }
}

DeviceGuard::~DeviceGuard() {
  if (restore_) (void)cudaSetDevice(previous_);
}

namespace {

// Runs `release` with `device` current, then puts the thread's device back. A failure there cannot
// be reported (destructors do not throw) and leaves nothing to retry.
template <class F>
void on_device(int device, F release) noexcept {
  int previous = -1;
  (void)cudaGetDevice(&previous);
  if (previous != device && cudaSetDevice(device) != cudaSuccess) return;
  release();
  if (previous >= 0 && previous != device) (void)cudaSetDevice(previous);
}

}  // namespace

void DeviceMemoryTag::release(void* p, int device) noexcept {
  on_device(device, [p] { (void)cudaFree(p); });
}
void PinnedMemoryTag::release(void* p, int /*device*/) noexcept {
  (void)cudaFreeHost(p);
}
void HostRegistrationTag::release(void* p, int /*device*/) noexcept {
  (void)cudaHostUnregister(p);
}
void StreamTag::release(cudaStream_t s, int device) noexcept {
  on_device(device, [s] {
    (void)cudaStreamSynchronize(s);
    (void)cudaStreamDestroy(s);
  });
}
void EventTag::release(cudaEvent_t e, int device) noexcept {
  on_device(device, [e] { (void)cudaEventDestroy(e); });
}

DeviceMemory device_alloc(std::size_t bytes, int device) {
  DeviceGuard guard(device);
  void* p = nullptr;
  check(cudaMalloc(&p, bytes), "cudaMalloc", device);
  return {p, device, bytes};
}

PinnedMemory pinned_alloc(std::size_t bytes, int device) {
  DeviceGuard guard(device);
  void* p = nullptr;
  check(cudaHostAlloc(&p, bytes, cudaHostAllocPortable), "cudaHostAlloc", device);
  return {p, device, bytes};
}

HostRegistration host_register(void* p, std::size_t bytes, int device) {
  DeviceGuard guard(device);
  check(cudaHostRegister(p, bytes, cudaHostRegisterPortable), "cudaHostRegister", device);
  return {p, device, bytes};
}

Stream make_stream(int device) {
  DeviceGuard guard(device);
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate", device);
  return {s, device};
}

Event make_event(int device) {
  DeviceGuard guard(device);
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate", device);
  return {e, device};
}

}  // namespace aistor::cuda
