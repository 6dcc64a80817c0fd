#pragma once
// Strings read from files (GGUF metadata, Arrow field names) end up in JSON reports, which must be
// UTF-8: bytes that are not valid UTF-8 are shown as U+FFFD instead of breaking the report.
#include <string>
#include <string_view>

namespace aistor {

[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;
// `s` when it is valid UTF-8, else a copy with each invalid byte replaced by U+FFFD.
[[nodiscard]] std::string printable_utf8(std::string s);

}  // namespace aistor
