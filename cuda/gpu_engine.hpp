#pragma once
// The GPU engines, as decorators over a host engine. Plain C++ header: cuda/gpu_registration.cpp
// provides them to the engine registry when the CUDA parts are built.
//
// gpu          reads go storage → K pinned staging buffers (the host engine's own aligned memory,
//              registered with cudaHostRegister) → cudaMemcpyAsync on M streams → device memory;
//              a staging buffer is recycled when its copy's event fires, so the next read overlaps
//              the copy. Writes run the other way (device → staging → storage). A request larger
//              than a staging buffer is split into staging-sized pieces.
// gpu-pageable the baseline most loaders are: the same reads into the host engine's plain
//              (pageable) memory, then a synchronous cudaMemcpy per piece.
//
// allocate() hands out device memory on the engine's GPU (gpus[worker % gpus.size()]); the CPU
// must not touch it (Engine::device_memory()). One engine per thread, as every engine; it makes
// its GPU current on the calling thread. CUDA failures throw cuda::GpuError from setup and end
// the request with -EIO from I/O; a verify mismatch also ends the request with -EIO.
#include <memory>
#include <string>

#include "engines/engine.hpp"
#include "engines/engine_config.hpp"

namespace aistor::cuda {

[[nodiscard]] std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config,
                                                      std::unique_ptr<Engine> host, bool pinned);
// host_engine "mmap": reads only, from a read-only mapping of the file. gpu registers each
// piece's pages with the GPU and copies straight out of the page cache (no staging, no read());
// gpu-pageable copies from the mapping with cudaMemcpy, as mmap-based loaders do. staging_buffers
// is then the number of pieces in flight and staging_size their size; fadvise becomes madvise.
[[nodiscard]] std::unique_ptr<Engine> make_gpu_mapped_engine(const EngineConfig& config,
                                                             bool pinned);

// gds: cuFile (GPUDirect Storage) between O_DIRECT files and registered GPU memory, synchronous
// (threads for parallelism); libcufile is loaded at run time. Its probe says whether cuFile runs
// in GDS or compatibility mode (no nvidia-fs driver).
[[nodiscard]] std::unique_ptr<Engine> make_gds_engine(const EngineConfig& config);
[[nodiscard]] bool gds_available(std::string& why);

// Whether GPU `index` exists here; the reason when it does not.
[[nodiscard]] bool gpu_present(int index, std::string& why);

}  // namespace aistor::cuda
