#pragma once
// Which files in a directory aistor made: "aistor-files.json" lists them (raw phases' files,
// generated model files). aistor writes into, or replaces, only files it creates or the list
// names: a raw phase also, with "overwrite": true, a user's existing file. A name is listed
// before its file is created, so an interrupted layout's files are still known to be aistor's.
#include <filesystem>
#include <set>
#include <string>

namespace aistor {

inline constexpr const char* kFileClaims = "aistor-files.json";

class FileClaims {
 public:
  // Reads `dir`'s list (none: empty). Throws InputError when it is malformed.
  explicit FileClaims(std::filesystem::path dir);

  [[nodiscard]] bool owns(const std::string& name) const { return names_.contains(name); }
  // Lists `name` (a plain file name in the directory) and rewrites the list atomically.
  void claim(const std::string& name);

 private:
  std::filesystem::path dir_;
  std::set<std::string> names_;
};

}  // namespace aistor
