#pragma once
// The few cuFile (GPUDirect Storage) calls the gds engine makes, loaded with dlopen from
// libcufile.so at run time, so aistor builds where cufile.h is absent and runs where libcufile is.
// The declarations follow the cuFile C API (cufile.h): a CUfileError_t is {err, cu_err}, a
// CUfileDescr_t is {type, union {fd, handle}, fs_ops}; CU_FILE_HANDLE_TYPE_OPAQUE_FD is 1.
#include <sys/types.h>

#include <cstddef>
#include <string>

namespace aistor::cuda {

struct CufileError {
  int err = 0;     // 0: success; cuFile's own codes start at 5000
  int cu_err = 0;  // the CUDA driver's CUresult
};

struct CufileDescr {
  int type = 1;  // CU_FILE_HANDLE_TYPE_OPAQUE_FD
  union {
    int fd;
    void* handle;
  } handle{};
  const void* fs_ops = nullptr;
};

using CufileHandle = void*;

struct CufileApi {
  CufileError (*driver_open)() = nullptr;
  CufileError (*handle_register)(CufileHandle*, CufileDescr*) = nullptr;
  void (*handle_deregister)(CufileHandle) = nullptr;
  CufileError (*buf_register)(const void*, std::size_t, int) = nullptr;
  CufileError (*buf_deregister)(const void*) = nullptr;
  ssize_t (*read)(CufileHandle, void*, std::size_t, off_t, off_t) = nullptr;
  ssize_t (*write)(CufileHandle, const void*, std::size_t, off_t, off_t) = nullptr;
};

// libcufile loaded and its driver opened, once per process (thread-safe). nullptr, with the
// reason in `why`, when the library or a symbol is missing or cuFileDriverOpen fails.
[[nodiscard]] const CufileApi* cufile(std::string& why);

// "gds" when the nvidia-fs kernel driver is loaded, else "compatibility": cuFile then reads
// through the page cache or O_DIRECT into its own bounce buffers and copies to the GPU.
[[nodiscard]] std::string cufile_mode();

}  // namespace aistor::cuda
