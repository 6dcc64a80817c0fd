#pragma once
// pread/pwrite, one request at a time. With `direct` (and always as "odirect") files open with
// O_DIRECT and buffers are aligned to the filesystem's DIO memory alignment; reads whose offset or
// length is not aligned go through an aligned bounce buffer and deliver exactly the bytes asked
// for; unaligned direct writes complete with -EINVAL.
#include <filesystem>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/unique_fd.hpp"
#include "engines/directory_fds.hpp"
#include "engines/engine_config.hpp"
#include "engines/registry.hpp"
#include "engines/sync_engine.hpp"

namespace aistor {

class PreadEngine final : public SyncEngine {
 public:
  explicit PreadEngine(EngineConfig config);

  [[nodiscard]] FileId open(const std::filesystem::path& path, Access access) override;
  [[nodiscard]] Buffer allocate(std::size_t bytes) override;
  void sync(FileId file) override;
  void close(FileId file) override;
  [[nodiscard]] nlohmann::json describe() const override;

 private:
  struct File {
    UniqueFd fd;
    std::string path;  // a string, not a path: copying a path copies its parsed components
    std::uint32_t offset_align = 1;
  };
  [[nodiscard]] std::int64_t execute(const IoRequest& request) noexcept override;
  [[nodiscard]] std::int64_t read_around(const File& f, const IoRequest& r) noexcept;

  EngineConfig config_;
  DirectoryFds dirs_;
  std::vector<File> files_;
  std::uint32_t mem_align_ = 4096;
  AlignedBuffer bounce_;
  std::uint64_t bounced_reads_ = 0;
};

[[nodiscard]] EngineInfo pread_engine_info();
[[nodiscard]] EngineInfo odirect_engine_info();

}  // namespace aistor
