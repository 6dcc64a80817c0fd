#pragma once
// cuFile registers a file only where udev's database says the file's block device holds a
// filesystem (ID_FS_USAGE); a machine without a udev database (many VMs and containers) has no
// such entry, and every registration fails with a bare cuFile error. Plain C++ (no CUDA header):
// the gds engine asks it to say why in its error.
#include <filesystem>
#include <string>

namespace aistor::cuda {

// The udev database entry for the block device holding `file` ("<udev_data>/b<major>:<minor>")
// when it does not exist; "" when it exists or `file` cannot be stat'ed.
[[nodiscard]] std::string missing_udev_entry(
    const std::filesystem::path& file, const std::filesystem::path& udev_data = "/run/udev/data");

}  // namespace aistor::cuda
