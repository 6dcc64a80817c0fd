#pragma once
// How a phase or a run ended. Typed everywhere; a string only where JSON is written or read.
#include <optional>
#include <string_view>

namespace aistor {

enum class Status { ok, failed, interrupted };

[[nodiscard]] constexpr std::string_view to_string(Status s) noexcept {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::failed:
      return "failed";
    case Status::interrupted:
      break;
  }
  return "interrupted";
}

// nullopt for any other string.
[[nodiscard]] constexpr std::optional<Status> status_from_string(std::string_view s) noexcept {
  if (s == "ok") return Status::ok;
  if (s == "failed") return Status::failed;
  if (s == "interrupted") return Status::interrupted;
  return std::nullopt;
}

// A run's status over its phases: interrupted over failed over ok.
[[nodiscard]] constexpr Status worse(Status a, Status b) noexcept {
  if (a == Status::interrupted || b == Status::interrupted) return Status::interrupted;
  if (a == Status::failed || b == Status::failed) return Status::failed;
  return Status::ok;
}

}  // namespace aistor
