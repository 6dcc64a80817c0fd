#pragma once
// Helpers shared by tests: a scratch directory on a real disk (not tmpfs) that removes itself.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aistor::test {

class ScratchDir {
 public:
  ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `bytes` of the seeded pattern used by tests; returns the path.
std::filesystem::path write_pattern_file(const std::filesystem::path& path, std::uint64_t bytes,
                                         std::uint64_t seed = 7);

// Writes `text` to `path` (replacing it).
void write_text(const std::filesystem::path& path, std::string_view text);
// What `f` threw, or "(no error)".
std::string error_of(const std::function<void()>& f);

// The whole file as bytes in a string ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);
// How many entries a directory holds (a temporary left behind shows as one more).
std::size_t count_entries(const std::filesystem::path& dir);

// Runs a shell command, returns its exit code and captured stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);

// The InputError make_plan throws for a config of this one phase, or "(no error)".
std::string plan_error(const nlohmann::json& phase);

// Runs the phases (a JSON array of phase objects) as a config with "dir": `dir`, through
// make_plan and run_plan, and returns the phase results in order.
nlohmann::json run_phases(const std::filesystem::path& dir, const nlohmann::json& phases);
// The result of one phase run that way (fails the test unless exactly one phase ran).
nlohmann::json run_phase(const std::filesystem::path& dir, const nlohmann::json& phase);

}  // namespace aistor::test
