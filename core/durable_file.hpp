#pragma once
// The one way aistor makes a file durable: write a temporary beside the target, fsync it, rename
// it over the target, fsync the directory. A reader sees the old file or the whole new one, never a
// part; after a crash the new one is there only if the rename was made durable. The temporary is
// removed on every failure, so nothing half written is left behind.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace aistor {

// Makes `dir`'s entries durable (after a rename or create in it). Throws SystemError naming `dir`.
void fsync_directory(const std::filesystem::path& dir);

// The default temporary for `target`: "<target>.tmp.<pid>", so two processes writing one target
// never share a temporary.
[[nodiscard]] std::filesystem::path temporary_for(const std::filesystem::path& target);

// Writes all of `bytes` to `target` durably (temporary, fsync, rename, fsync directory). The
// temporary is created without following a symbolic link. Throws SystemError naming the path and
// the call that failed; the temporary is gone then and `target` unchanged.
void write_file_durably(const std::filesystem::path& target, std::span<const std::byte> bytes,
                        unsigned mode = 0644);
void write_file_durably(const std::filesystem::path& target, std::string_view text,
                        unsigned mode = 0644);

// A temporary that a streaming writer (an engine, a record writer) creates, fills and fsyncs
// itself; commit() then renames it over the target and fsyncs the directory. Until commit()
// succeeds the destructor removes the temporary. Move-only; not thread-safe.
class DurableTemporary {
 public:
  explicit DurableTemporary(std::filesystem::path target, std::filesystem::path temporary = {});
  DurableTemporary(DurableTemporary&& other) noexcept;
  DurableTemporary& operator=(DurableTemporary&&) = delete;
  DurableTemporary(const DurableTemporary&) = delete;
  DurableTemporary& operator=(const DurableTemporary&) = delete;
  ~DurableTemporary();

  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  [[nodiscard]] const std::filesystem::path& temporary() const noexcept { return temporary_; }

  // The temporary, written and fsynced by the caller, becomes the target. Throws SystemError; the
  // temporary is removed if the rename fails.
  void commit();
  // Removes the temporary now (nothing if already committed or discarded).
  void discard() noexcept;

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  bool pending_ = true;
};

}  // namespace aistor
