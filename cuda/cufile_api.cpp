#include "cuda/cufile_api.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include <fmt/format.h>

namespace aistor::cuda {
namespace {

struct Loaded {
  CufileApi api;
  std::string why;  // empty when loaded
};

template <class F>
bool bind(void* lib, const char* name, F& fn, std::string& why) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
  if (fn == nullptr) why = fmt::format("libcufile has no {}", name);
  return fn != nullptr;
}

Loaded load() {
  Loaded out;
  void* lib = nullptr;
  for (const char* name : {"libcufile.so.0", "libcufile.so", "/usr/local/cuda/lib64/libcufile.so.0",
                           "/usr/local/cuda/lib64/libcufile.so"}) {
    lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
  }
  if (lib == nullptr) {
    out.why = "libcufile.so not found (GPUDirect Storage's cuFile library)";
    return out;
  }
  // Never dlclose'd: the driver stays open for the life of the process.
  CufileApi& a = out.api;
  if (!bind(lib, "cuFileDriverOpen", a.driver_open, out.why) ||
      !bind(lib, "cuFileHandleRegister", a.handle_register, out.why) ||
      !bind(lib, "cuFileHandleDeregister", a.handle_deregister, out.why) ||
      !bind(lib, "cuFileBufRegister", a.buf_register, out.why) ||
      !bind(lib, "cuFileBufDeregister", a.buf_deregister, out.why) ||
      !bind(lib, "cuFileRead", a.read, out.why) || !bind(lib, "cuFileWrite", a.write, out.why)) {
    return out;
  }
  const CufileError e = a.driver_open();
  if (e.err != 0)
    out.why = fmt::format("cuFileDriverOpen failed (cuFile error {}, CUDA {})", e.err, e.cu_err);
  return out;
}

}  // namespace

const CufileApi* cufile(std::string& why) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load(); });
  why = loaded.why;
  return loaded.why.empty() ? &loaded.api : nullptr;
}

std::string cufile_mode() {
  std::error_code ec;
  return std::filesystem::exists("/proc/driver/nvidia-fs", ec) ? "gds" : "compatibility";
}

}  // namespace aistor::cuda
