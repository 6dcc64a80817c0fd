#include "engines/pread_engine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/align.hpp"
#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/target_info.hpp"
#include "engines/fadvise.hpp"

namespace aistor {
namespace {

int open_flags(Access access) {
  switch (access) {
    case Access::read:
      return O_RDONLY;
    case Access::write:
      return O_WRONLY;
    case Access::read_write:
      break;
  }
  return O_RDWR;
}

}  // namespace

PreadEngine::PreadEngine(EngineConfig config) : config_(std::move(config)) {
  if (config_.name == "odirect") config_.direct = true;
}

FileId PreadEngine::open(const std::filesystem::path& path, Access access) {
  int flags = open_flags(access) | O_CLOEXEC | (config_.direct ? O_DIRECT : 0);
  UniqueFd fd(dirs_.open(path, flags));
  if (!fd) {
    if (errno == EINVAL && config_.direct) {
      throw SystemError(EINVAL,
                        fmt::format("{}: the filesystem refuses O_DIRECT for", config_.name),
                        path.string());
    }
    throw_errno("open", path.string());
  }
  apply_fadvise(fd.get(), config_.fadvise, path);
  File f{std::move(fd), path.native(), 1};
  if (config_.direct) {
    auto align = dio_alignment(path);
    f.offset_align = align ? std::max<std::uint32_t>(align->offset, 1) : 512;
    if (align) mem_align_ = std::max(mem_align_, align->mem);
  }
  // Closed slots are reused, so opening and closing a file per sample keeps the table small.
  auto slot = std::find_if(files_.begin(), files_.end(), [](const File& g) { return !g.fd; });
  if (slot != files_.end()) {
    *slot = std::move(f);
    return static_cast<FileId>(slot - files_.begin());
  }
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

Buffer PreadEngine::allocate(std::size_t bytes) {
  return allocate_aligned(bytes, mem_align_, config_.huge_pages);
}

std::int64_t PreadEngine::execute(const IoRequest& r) noexcept {
  if (r.file >= files_.size() || !files_[r.file].fd) return -EBADF;
  const File& f = files_[r.file];
  bool aligned = r.offset % f.offset_align == 0 && r.length % f.offset_align == 0 &&
                 reinterpret_cast<std::uintptr_t>(r.buf) % mem_align_ == 0;
  if (r.op == Op::read) {
    if (config_.direct && !aligned) return read_around(f, r);
    return pread_full(f.fd.get(), r.buf, r.length, r.offset);
  }
  if (config_.direct && !aligned) return -EINVAL;
  return pwrite_full(f.fd.get(), r.buf, r.length, r.offset);
}

std::int64_t PreadEngine::read_around(const File& f, const IoRequest& r) noexcept {
  std::uint64_t start = align_down(r.offset, f.offset_align);
  std::uint64_t end = align_up(r.offset + r.length, f.offset_align);
  std::size_t span = end - start;
  if (bounce_.size() < span) {
    try {
      bounce_ = AlignedBuffer(span, mem_align_);
    } catch (const std::bad_alloc&) {
      return -ENOMEM;
    }
  }
  ++bounced_reads_;
  std::int64_t got = pread_full(f.fd.get(), bounce_.data(), span, start);
  if (got < 0) return got;
  std::uint64_t head = r.offset - start;
  if (static_cast<std::uint64_t>(got) <= head) return 0;
  std::size_t n = std::min<std::uint64_t>(r.length, static_cast<std::uint64_t>(got) - head);
  std::memcpy(r.buf, bounce_.data() + head, n);
  return static_cast<std::int64_t>(n);
}

void PreadEngine::sync(FileId file) {
  if (file >= files_.size() || !files_[file].fd) throw_system(EBADF, "fsync");
  if (::fsync(files_[file].fd.get()) != 0) throw_errno("fsync", files_[file].path);
}

void PreadEngine::close(FileId file) {
  if (file < files_.size()) files_[file].fd.reset();
}

nlohmann::json PreadEngine::describe() const {
  auto j = to_json(config_);
  j["queue_depth"] = 1;
  j["direct"] = config_.direct;
  j["fadvise"] = to_string(config_.fadvise);
  if (config_.direct) {
    j["dio_mem_alignment"] = mem_align_;
    j["bounced_reads"] = bounced_reads_;
  }
  return j;
}

namespace {

Availability probe_direct(const std::filesystem::path& dir) {
  std::string name = (dir / ".aistor-odirect-probe-XXXXXX").string();
  UniqueFd fd(::mkstemp(name.data()));
  if (!fd)
    return {false, fmt::format("cannot create a probe file in {}: {}", dir.string(),
                               std::strerror(errno))};
  ::unlink(name.c_str());
  if (::fcntl(fd.get(), F_SETFL, O_DIRECT) != 0) {
    return {false, fmt::format("filesystem at {} refuses O_DIRECT: {}", dir.string(),
                               std::strerror(errno))};
  }
  auto align = dio_alignment(dir);
  if (!align) return {true, "alignment unknown, assuming 512"};
  return {true, fmt::format("alignment: memory {} B, offset {} B ({})", align->mem, align->offset,
                            align->source)};
}

}  // namespace

EngineInfo pread_engine_info() {
  return {"pread",
          "pread/pwrite, synchronous; option direct for O_DIRECT",
          {"direct", "fadvise", "huge_pages"},
          true,
          [](const std::filesystem::path&) {
            return Availability{true, ""};
          },
          [](const EngineConfig& c) -> std::unique_ptr<Engine> {
            return std::make_unique<PreadEngine>(c);
          }};
}

EngineInfo odirect_engine_info() {
  return {"odirect",
          "pread/pwrite with O_DIRECT and aligned buffers",
          {"fadvise", "huge_pages"},
          true,
          probe_direct,
          [](const EngineConfig& c) -> std::unique_ptr<Engine> {
            return std::make_unique<PreadEngine>(c);
          }};
}

}  // namespace aistor
