#pragma once
// Errors: what was attempted, on which path, and errno's text.
//
// SystemError  a failed system call (errno, the call, the path). Engines and probes throw it.
// InputError   bad input a user can fix: a config, a CLI argument, a file's contents. Its message
//              is one line that names the place (JSON path, or file and offset).
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace aistor {

class SystemError : public std::system_error {
 public:
  SystemError(int err, std::string_view call, std::string_view path = {});
  [[nodiscard]] int err() const noexcept { return code().value(); }
};

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws SystemError for the current errno.
[[noreturn]] void throw_errno(std::string_view call, std::string_view path = {});

// Throws SystemError for `err` (a positive errno value).
[[noreturn]] void throw_system(int err, std::string_view call, std::string_view path = {});

}  // namespace aistor
