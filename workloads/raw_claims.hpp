#pragma once
// Which files in a directory the raw workload made: "aistor-raw.json" lists them. A raw phase
// writes into (or lays data into) only files it creates, files the list names, or — with
// "overwrite": true — a user's existing file; it reads an existing file of sufficient size
// whoever made it. A name is listed before its file is created, so an interrupted layout's
// files are still known to be aistor's.
#include <filesystem>
#include <set>
#include <string>

namespace aistor {

inline constexpr const char* kRawManifest = "aistor-raw.json";

class RawClaims {
 public:
  // Reads `dir`'s list (none: empty). Throws InputError when it is malformed.
  explicit RawClaims(std::filesystem::path dir);

  [[nodiscard]] bool owns(const std::string& name) const { return names_.contains(name); }
  // Lists `name` (a plain file name in the directory) and rewrites the list atomically.
  void claim(const std::string& name);

 private:
  std::filesystem::path dir_;
  std::set<std::string> names_;
};

}  // namespace aistor
