#pragma once
// One aistor run per data directory at a time: an exclusive flock on "<dir>/.aistor-lock", held
// for as long as the DirLock lives (the kernel drops it when the process ends, however it ends).
// A second run on the same directory is refused, naming the run that holds it. Move-only.
#include <filesystem>
#include <string>

#include "core/unique_fd.hpp"

namespace aistor {

inline constexpr const char* kDirLockName = ".aistor-lock";

class DirLock {
 public:
  // Creates `dir` if needed. Throws InputError "<dir>: in use by another aistor run (...)" when
  // another process holds the lock, SystemError when the lock file cannot be made.
  explicit DirLock(const std::filesystem::path& dir);

 private:
  UniqueFd fd_;
};

// The mpirun launcher's environment (OpenMPI, MPICH/PMI, PMIx) when this process was started by
// it with more than one rank, as "NAME=VALUE"; empty otherwise.
[[nodiscard]] std::string mpi_launcher_environment();

}  // namespace aistor
