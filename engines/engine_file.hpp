#pragma once
// An open FileId of an engine, closed when it goes out of scope: the RAII form of open/close for
// code that may throw between them. Move-only; close() closes early and reports a failure.
#include <filesystem>
#include <utility>

#include "engines/engine.hpp"

namespace aistor {

class EngineFile {
 public:
  EngineFile(Engine& engine, const std::filesystem::path& path, Access access)
      : engine_(&engine), id_(engine.open(path, access)) {}
  EngineFile(EngineFile&& other) noexcept
      : engine_(std::exchange(other.engine_, nullptr)), id_(other.id_) {}
  EngineFile& operator=(EngineFile&&) = delete;
  EngineFile(const EngineFile&) = delete;
  EngineFile& operator=(const EngineFile&) = delete;
  ~EngineFile() {
    if (engine_ == nullptr) return;
    try {
      engine_->close(id_);
    } catch (...) {  // a close failing on the way out of an error must not hide that error
    }
  }

  [[nodiscard]] FileId id() const noexcept { return id_; }
  // Closes now; throws what the engine's close() throws.
  void close() {
    if (engine_ == nullptr) return;
    std::exchange(engine_, nullptr)->close(id_);
  }

 private:
  Engine* engine_;
  FileId id_;
};

}  // namespace aistor
