#pragma once
// A typed, path-aware view of one JSON object of a config.
//
// Every getter names the key it reads; a missing key takes the default given (or is an error when
// none is given), a wrong type or impossible value throws InputError whose one-line message starts
// with the JSON path ("config: phases[0].engine.queue_depth: must be at least 1, got -4").
// finish() throws for any key that no getter asked for, so unknown keys never pass silently.
// Not thread-safe; a view must not outlive the JSON it reads.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_guard.hpp"

namespace aistor {

class ConfigNode {
 public:
  // `node` must be a JSON object (else InputError at `path`).
  ConfigNode(const nlohmann::json& node, std::string path);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] bool has(std::string_view key) const;
  // Marks a key as known without reading it (read elsewhere, or handled by another layer).
  void accept(std::string_view key);

  [[nodiscard]] std::uint64_t size(std::string_view key, std::optional<std::uint64_t> def,
                                   std::uint64_t min = 0, std::uint64_t max = UINT64_MAX);
  [[nodiscard]] std::uint64_t duration_ns(std::string_view key, std::optional<std::uint64_t> def);
  [[nodiscard]] std::int64_t integer(std::string_view key, std::optional<std::int64_t> def,
                                     std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
  [[nodiscard]] double number(std::string_view key, std::optional<double> def, double min,
                              double max);
  [[nodiscard]] bool boolean(std::string_view key, std::optional<bool> def);
  [[nodiscard]] std::string string(std::string_view key, std::optional<std::string> def);
  // A string that must be one of `choices`.
  [[nodiscard]] std::string choice(std::string_view key, std::optional<std::string> def,
                                   std::initializer_list<std::string_view> choices);
  // The raw JSON of a key (nullptr when absent); marks it known.
  [[nodiscard]] const nlohmann::json* raw(std::string_view key);
  // A child object view at key.
  [[nodiscard]] ConfigNode object(std::string_view key);

  // Throws InputError naming the first key no getter asked for.
  void finish() const;

  // "config: <path>.<key>: <message>" as an InputError.
  [[noreturn]] void fail(std::string_view key, std::string_view message) const;
  [[nodiscard]] std::string key_path(std::string_view key) const;

 private:
  const nlohmann::json* find(std::string_view key);

  const nlohmann::json& node_;
  std::string path_;
  std::set<std::string, std::less<>> seen_;
};

// What a config may be: no larger, no deeper (a deeper one would exhaust the stack of whatever
// walks it; no real config nests past a dozen levels).
inline constexpr std::size_t kMaxConfigBytes = 64u << 20;
inline constexpr std::size_t kMaxConfigDepth = kMaxJsonDepth;

// Parses a JSON text that may hold // and /* */ comments; InputError "<origin>:<line>:<col>: ..."
// for a syntax error, "<origin>: <json path>: ..." for a key given twice in one object or nesting
// deeper than kMaxConfigDepth, and for a text larger than kMaxConfigBytes.
[[nodiscard]] nlohmann::json parse_json_with_comments(std::string_view text,
                                                      std::string_view origin);

}  // namespace aistor
