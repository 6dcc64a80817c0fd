#include "core/error.hpp"

#include <cerrno>

namespace aistor {
namespace {
std::string describe(std::string_view call, std::string_view path) {
  std::string what(call);
  if (!path.empty()) {
    what += " ";
    what += path;
  }
  return what;
}
}  // namespace

SystemError::SystemError(int err, std::string_view call, std::string_view path)
    : std::system_error(err, std::generic_category(), describe(call, path)) {}

void throw_errno(std::string_view call, std::string_view path) {
  throw SystemError(errno, call, path);
}

void throw_system(int err, std::string_view call, std::string_view path) {
  throw SystemError(err, call, path);
}

}  // namespace aistor
