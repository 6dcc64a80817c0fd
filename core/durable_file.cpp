#include "core/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"

namespace aistor {

void fsync_directory(const std::filesystem::path& dir) {
  const auto d = dir.empty() ? std::filesystem::path(".") : dir;
  const UniqueFd fd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open", d.string());
  if (::fsync(fd.get()) != 0) throw_errno("fsync", d.string());
}

std::filesystem::path temporary_for(const std::filesystem::path& target) {
  auto tmp = target;
  tmp += ".tmp." + std::to_string(::getpid());
  return tmp;
}

void write_file_durably(const std::filesystem::path& target, std::span<const std::byte> bytes,
                        unsigned mode) {
  DurableTemporary tmp(target);
  {
    const auto& path = tmp.temporary();
    const UniqueFd fd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) throw_errno("open", path.string());
    // O_CREAT's mode passes through the umask; a file replacing another keeps the mode asked for.
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) throw_errno("fchmod", path.string());
    const auto n = pwrite_full(fd.get(), bytes.data(), bytes.size(), 0);
    if (n < 0) throw_system(static_cast<int>(-n), "write", path.string());
    if (::fsync(fd.get()) != 0) throw_errno("fsync", path.string());
  }
  tmp.commit();
}

void write_file_durably(const std::filesystem::path& target, std::string_view text, unsigned mode) {
  write_file_durably(target, std::as_bytes(std::span(text.data(), text.size())), mode);
}

DurableTemporary::DurableTemporary(std::filesystem::path target, std::filesystem::path temporary)
    : target_(std::move(target)),
      temporary_(temporary.empty() ? temporary_for(target_) : std::move(temporary)) {}

DurableTemporary::DurableTemporary(DurableTemporary&& other) noexcept
    : target_(std::move(other.target_)),
      temporary_(std::move(other.temporary_)),
      pending_(std::exchange(other.pending_, false)) {}

DurableTemporary::~DurableTemporary() {
  discard();
}

void DurableTemporary::commit() {
  if (!pending_) return;
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    discard();
    throw_system(err, "rename", temporary_.string() + " -> " + target_.string());
  }
  pending_ = false;
  fsync_directory(target_.parent_path());
}

void DurableTemporary::discard() noexcept {
  if (!pending_) return;
  pending_ = false;
  (void)::unlink(temporary_.c_str());
}

}  // namespace aistor
