#include "workloads/common/file_claims.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/unique_fd.hpp"

namespace aistor {

FileClaims::FileClaims(std::filesystem::path dir) : dir_(std::move(dir)) {
  const auto path = dir_ / kFileClaims;
  std::ifstream in(path);
  if (!in) return;
  const auto j = nlohmann::json::parse(in, json_depth_guard(path.string()), false);
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
  write_file_durably(dir_ / kFileClaims, j.dump(2) + "\n");
}

}  // namespace aistor
