#include "tests/test_support.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/random_bytes.hpp"
#include "engines/pump.hpp"
#include "workloads/runner/plan.hpp"
#include "workloads/runner/runner.hpp"

namespace aistor::test {

ScratchDir::ScratchDir() {
  // /var/tmp is on the root filesystem here; /tmp may be tmpfs, which would hide O_DIRECT and
  // page-cache behaviour.
  const char* base = std::getenv("AISTOR_TEST_DIR");
  std::string tmpl = std::string(base ? base : "/var/tmp") + "/aistor-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path write_pattern_file(const std::filesystem::path& path, std::uint64_t bytes,
                                         std::uint64_t seed) {
  std::vector<std::byte> data(bytes);
  fill_random(data.data(), data.size(), seed);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path;
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string plan_error(const nlohmann::json& phase) {
  try {
    (void)make_plan({{"dir", "/var/tmp/x"}, {"phases", nlohmann::json::array({phase})}},
                    std::nullopt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t count_entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

nlohmann::json run_phases(const std::filesystem::path& dir, const nlohmann::json& phases) {
  const nlohmann::json config{{"dir", dir.string()}, {"phases", phases}};
  return run_plan(make_plan(config, std::nullopt), {}).phases;
}

nlohmann::json run_phase(const std::filesystem::path& dir, const nlohmann::json& phase) {
  nlohmann::json phases = run_phases(dir, nlohmann::json::array({phase}));
  EXPECT_EQ(phases.size(), 1u);
  return phases.at(0);
}

}  // namespace aistor::test
