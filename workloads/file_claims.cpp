#include "workloads/file_claims.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace aistor {

FileClaims::FileClaims(std::filesystem::path dir) : dir_(std::move(dir)) {
  const auto path = dir_ / kFileClaims;
  std::ifstream in(path);
  if (!in) return;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("generator", "") != "aistor" ||
      !j.contains("files") || !j["files"].is_array()) {
    throw InputError(fmt::format("{}: not a valid aistor raw-file list", path.string()));
  }
  for (const auto& f : j["files"]) {
    if (f.is_string()) names_.insert(f.get<std::string>());
  }
}

void FileClaims::claim(const std::string& name) {
  if (!names_.insert(name).second) return;
  const nlohmann::json j{{"generator", "aistor"},
                         {"what", "files aistor created here; it writes only into these"},
                         {"files", names_}};
  const auto path = dir_ / kFileClaims;
  // One temporary name per process: two runs may claim files in one directory at once.
  const auto tmp = dir_ / fmt::format("{}.tmp.{}", kFileClaims, ::getpid());
  const std::string text = j.dump(2) + "\n";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_errno("open", tmp.string());
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      const int err = errno;
      ::unlink(tmp.c_str());
      throw_system(err == 0 ? EIO : err, "write", tmp.string());
    }
    if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp.string());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename", path.string());
}

}  // namespace aistor
