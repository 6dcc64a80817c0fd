#include "workloads/kv_cache/kv_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace aistor {
namespace {

bool is_entry_file(const std::string& name) {
  return name.starts_with("e-") && name.ends_with(".kv");
}

}  // namespace

KvStore::KvStore(KvLayout layout, std::filesystem::path dir, std::uint64_t slot_bytes,
                 std::uint64_t slots, unsigned slabs)
    : layout_(layout),
      dir_(std::move(dir)),
      slot_bytes_(slot_bytes),
      slots_(slots),
      slabs_(slabs == 0 ? 1 : slabs) {
  if (layout_ == KvLayout::slab) {
    free_.reserve(slots_);
    for (std::uint64_t s = slots_; s > 0; --s)
      free_.push_back(s - 1);
  }
}

std::vector<std::filesystem::path> KvStore::slab_paths() const {
  std::vector<std::filesystem::path> paths;
  if (layout_ == KvLayout::slab) {
    for (unsigned i = 0; i < slabs_; ++i)
      paths.push_back(dir_ / fmt::format("slab-{}.kv", i));
  }
  return paths;
}

void KvStore::prepare() {
  std::error_code ec;
  const bool existed = std::filesystem::exists(dir_, ec);
  if (existed && !std::filesystem::exists(marker(), ec) && !std::filesystem::is_empty(dir_, ec)) {
    throw InputError(
        fmt::format("{}: holds files aistor's kv-cache did not make (no {}): give the "
                    "phase an empty or new directory",
                    dir_.string(), kMarker));
  }
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw_system(ec.value(), "mkdir", dir_.string());
  {
    const UniqueFd m(::open(marker().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!m) throw_errno("open", marker().string());
  }
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    const std::string name = e.path().filename().string();
    if (name == kMarker) continue;
    const bool slab = name.starts_with("slab-") && name.ends_with(".kv");
    if (!e.is_regular_file() || !(is_entry_file(name) || slab)) {
      throw InputError(
          fmt::format("{}: not a file aistor's kv-cache makes; it leaves it alone and "
                      "needs a directory of its own",
                      e.path().string()));
    }
    if (is_entry_file(name) || (slab && layout_ != KvLayout::slab)) std::filesystem::remove(e);
  }
  const std::uint64_t per_slab = (slots_ + slabs_ - 1) / slabs_ * slot_bytes_;
  for (const auto& p : slab_paths()) {
    const UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) throw_errno("open", p.string());
    if (::ftruncate(fd.get(), static_cast<off_t>(per_slab)) != 0)
      throw_errno("ftruncate", p.string());
    if (const int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(per_slab));
        err != 0 && err != EOPNOTSUPP && err != EINVAL) {
      throw_system(err, "fallocate", p.string());
    }
  }
}

KvPlace KvStore::place_of(std::uint64_t serial, std::uint64_t slot) const {
  if (layout_ == KvLayout::file_per_entry) return {dir_ / fmt::format("e-{}.kv", serial), 0, -1};
  const auto slab = static_cast<unsigned>(slot % slabs_);
  return {dir_ / fmt::format("slab-{}.kv", slab), slot / slabs_ * slot_bytes_,
          static_cast<int>(slab)};
}

KvPlace KvStore::assign(std::uint64_t serial) {
  std::uint64_t slot = 0;
  if (layout_ == KvLayout::slab) {
    if (free_.empty()) throw std::logic_error("KvStore::assign: no free slot");
    slot = free_.back();
    free_.pop_back();
  }
  live_[serial] = slot;
  return place_of(serial, slot);
}

KvPlace KvStore::find(std::uint64_t serial) const {
  return place_of(serial, live_.at(serial));
}

void KvStore::release(std::uint64_t serial) {
  auto it = live_.find(serial);
  if (it == live_.end()) return;
  if (layout_ == KvLayout::slab) {
    free_.push_back(it->second);
  } else {
    const auto path = place_of(serial, 0).path;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("unlink", path.string());
  }
  live_.erase(it);
}

void KvStore::remove_entries() {
  if (layout_ == KvLayout::file_per_entry) {
    for (const auto& [serial, slot] : live_) {
      const auto path = place_of(serial, slot).path;
      (void)::unlink(path.c_str());
    }
  }
  live_.clear();
}

}  // namespace aistor
