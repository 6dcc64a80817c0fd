#pragma once
// Reads copy out of a shared mapping of the whole file (or, with `touch`, read one byte per page);
// writes copy into the mapping and sync() msyncs it. Options: madvise advice and MAP_POPULATE.
// Files are mapped at open() with their size then; I/O past that size completes short.
#include <filesystem>
#include <vector>

#include "core/mapping.hpp"
#include "core/unique_fd.hpp"
#include "engines/directory_fds.hpp"
#include "engines/engine_config.hpp"
#include "engines/registry.hpp"
#include "engines/sync_engine.hpp"

namespace aistor {

class MmapEngine final : public SyncEngine {
 public:
  explicit MmapEngine(EngineConfig config) : config_(std::move(config)) {}

  [[nodiscard]] FileId open(const std::filesystem::path& path, Access access) override;
  [[nodiscard]] Buffer allocate(std::size_t bytes) override { return allocate_aligned(bytes); }
  void sync(FileId file) override;
  void close(FileId file) override;
  [[nodiscard]] nlohmann::json describe() const override { return to_json(config_); }

 private:
  struct File {
    UniqueFd fd;
    Mapping map;
    std::string path;
    bool writable = false;
  };
  [[nodiscard]] std::int64_t execute(const IoRequest& request) noexcept override;

  EngineConfig config_;
  DirectoryFds dirs_;
  std::vector<File> files_;
};

[[nodiscard]] EngineInfo mmap_engine_info();

}  // namespace aistor
