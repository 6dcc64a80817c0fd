#include "core/config_node.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/units.hpp"

namespace aistor {

ConfigNode::ConfigNode(const nlohmann::json& node, std::string path)
    : node_(node), path_(std::move(path)) {
  if (!node_.is_object()) {
    throw InputError(fmt::format("config: {}: must be an object, got {}",
                                 path_.empty() ? "(top level)" : path_, node_.type_name()));
  }
}

std::string ConfigNode::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void ConfigNode::fail(std::string_view key, std::string_view message) const {
  throw InputError(fmt::format("config: {}: {}", key_path(key), message));
}

bool ConfigNode::has(std::string_view key) const {
  return node_.contains(key);
}

void ConfigNode::accept(std::string_view key) {
  seen_.emplace(key);
}

const nlohmann::json* ConfigNode::find(std::string_view key) {
  seen_.emplace(key);
  auto it = node_.find(key);
  if (it == node_.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json* ConfigNode::raw(std::string_view key) {
  return find(key);
}

std::uint64_t ConfigNode::size(std::string_view key, std::optional<std::uint64_t> def,
                               std::uint64_t min, std::uint64_t max) {
  const auto* v = find(key);
  std::uint64_t out = 0;
  if (v == nullptr) {
    if (!def) fail(key, "is required (a size such as \"128KiB\")");
    return *def;
  }
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
    out = v->get<std::uint64_t>();  // JSON built in code holds positive numbers as signed
  } else if (v->is_number_integer()) {
    fail(key, fmt::format("must be a size of at least {}, got {}", min, v->get<std::int64_t>()));
  } else if (v->is_string()) {
    auto parsed = parse_size(v->get<std::string>());
    if (!parsed) {
      fail(key, fmt::format("\"{}\" is not a size (use e.g. \"4KiB\", \"128K\", \"4.7GB\")",
                            v->get<std::string>()));
    }
    out = *parsed;
  } else {
    fail(key, fmt::format("must be a size (number or string such as \"128KiB\"), got {}",
                          v->type_name()));
  }
  if (out < min || out > max) {
    fail(key, max == UINT64_MAX
                  ? fmt::format("must be at least {} bytes, got {}", min, out)
                  : fmt::format("must be between {} and {} bytes, got {}", min, max, out));
  }
  return out;
}

std::uint64_t ConfigNode::duration_ns(std::string_view key, std::optional<std::uint64_t> def) {
  const auto* v = find(key);
  if (v == nullptr) {
    if (!def) fail(key, "is required (a duration such as \"10s\" or \"250ms\")");
    return *def;
  }
  if (v->is_number()) {
    double s = v->get<double>();
    if (s < 0) fail(key, fmt::format("must not be negative, got {}", s));
    return static_cast<std::uint64_t>(s * 1e9);
  }
  if (v->is_string()) {
    auto parsed = parse_duration_ns(v->get<std::string>());
    if (!parsed) {
      fail(key, fmt::format("\"{}\" is not a duration (use e.g. \"250us\", \"10s\", \"2m\")",
                            v->get<std::string>()));
    }
    return *parsed;
  }
  fail(key, fmt::format("must be a duration, got {}", v->type_name()));
}

std::int64_t ConfigNode::integer(std::string_view key, std::optional<std::int64_t> def,
                                 std::int64_t min, std::int64_t max) {
  const auto* v = find(key);
  if (v == nullptr) {
    if (!def) fail(key, "is required (an integer)");
    return *def;
  }
  if (!v->is_number_integer()) {
    fail(key,
         fmt::format("must be an integer, got {}", v->is_number() ? "a fraction" : v->type_name()));
  }
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    fail(key, "is too large");
  }
  auto out = v->get<std::int64_t>();
  if (out < min) fail(key, fmt::format("must be at least {}, got {}", min, out));
  if (out > max) fail(key, fmt::format("must be at most {}, got {}", max, out));
  return out;
}

double ConfigNode::number(std::string_view key, std::optional<double> def, double min, double max) {
  const auto* v = find(key);
  if (v == nullptr) {
    if (!def) fail(key, "is required (a number)");
    return *def;
  }
  if (!v->is_number()) fail(key, fmt::format("must be a number, got {}", v->type_name()));
  auto out = v->get<double>();
  if (out < min || out > max)
    fail(key, fmt::format("must be between {} and {}, got {}", min, max, out));
  return out;
}

bool ConfigNode::boolean(std::string_view key, std::optional<bool> def) {
  const auto* v = find(key);
  if (v == nullptr) {
    if (!def) fail(key, "is required (true or false)");
    return *def;
  }
  if (!v->is_boolean()) fail(key, fmt::format("must be true or false, got {}", v->type_name()));
  return v->get<bool>();
}

std::string ConfigNode::string(std::string_view key, std::optional<std::string> def) {
  const auto* v = find(key);
  if (v == nullptr) {
    if (!def) fail(key, "is required (a string)");
    return *def;
  }
  if (!v->is_string()) fail(key, fmt::format("must be a string, got {}", v->type_name()));
  return v->get<std::string>();
}

std::string ConfigNode::choice(std::string_view key, std::optional<std::string> def,
                               std::initializer_list<std::string_view> choices) {
  auto out = string(key, std::move(def));
  for (auto c : choices) {
    if (c == out) return out;
  }
  fail(key, fmt::format("\"{}\" is not one of: {}", out, fmt::join(choices, ", ")));
}

ConfigNode ConfigNode::object(std::string_view key) {
  seen_.emplace(key);
  auto it = node_.find(key);
  if (it == node_.end()) fail(key, "is required (an object)");
  return ConfigNode(*it, key_path(key));
}

void ConfigNode::finish() const {
  for (const auto& [key, value] : node_.items()) {
    if (!seen_.contains(key)) fail(key, "unknown key");
  }
}

nlohmann::json parse_json_with_comments(std::string_view text, std::string_view origin) {
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // Turn nlohmann's byte offset into line:column, which is what an editor wants.
    std::size_t line = 1;
    std::size_t col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    auto pos = what.find("syntax error");
    throw InputError(fmt::format("{}:{}:{}: invalid JSON: {}", origin, line, col,
                                 pos == std::string::npos ? what : what.substr(pos)));
  } catch (const nlohmann::json::exception& e) {  // a number too large for any type (406)
    throw InputError(fmt::format("{}: invalid JSON: {}", origin, e.what()));
  }
}

}  // namespace aistor
