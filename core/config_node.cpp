#include "core/config_node.hpp"

#include <fmt/format.h>

#include <set>
#include <vector>

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
  if (it == node_.end()) return nullptr;
  if (it->is_null()) fail(key, "is null: give a value, or leave the key out for its default");
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
    const double s = v->get<double>();
    if (s < 0) fail(key, fmt::format("must not be negative, got {}", s));
    // 2^64 ns is 584 years; a longer duration does not fit (and is no benchmark's).
    if (s * 1e9 >= 1.8e19) fail(key, fmt::format("{} s is too long (at most 1.8e10 s)", s));
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

namespace {

// Where the parser is, as a JSON path ("phases[2].engine"), for errors found on the way: a key
// given twice, nesting too deep. nlohmann's callback reports events, not positions.
class ParseGuard {
 public:
  explicit ParseGuard(std::string_view origin) : origin_(origin) {}

  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (static_cast<std::size_t>(depth) >= kMaxConfigDepth) {
          throw InputError(fmt::format("{}: {}: nested more than {} levels deep", origin_, where(),
                                       kMaxConfigDepth));
        }
        frames_.push_back({event == E::object_start, {}, {}, 0});
        break;
      case E::key: {
        auto& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) {
          throw InputError(
              fmt::format("{}: {}: key given twice (JSON keeps only one)", origin_, where()));
        }
        break;
      }
      case E::object_end:
      case E::array_end:
        frames_.pop_back();
        next_element();
        break;
      case E::value:
        next_element();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string, std::less<>> keys;
    std::string key;
    std::size_t index;
  };

  void next_element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }

  std::string where() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.object) {
        if (!f.key.empty()) out += (out.empty() ? "" : ".") + f.key;
      } else {
        out += fmt::format("[{}]", f.index);
      }
    }
    return out.empty() ? "(top level)" : out;
  }

  std::string_view origin_;
  std::vector<Frame> frames_;
};

// Line and column (1-based) of byte `at` of `text`.
std::pair<std::size_t, std::size_t> line_col(std::string_view text, std::size_t at) {
  std::size_t line = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace

nlohmann::json parse_json_with_comments(std::string_view text, std::string_view origin) {
  if (text.size() > kMaxConfigBytes) {
    throw InputError(
        fmt::format("{}: a config of more than {} bytes is not a config", origin, kMaxConfigBytes));
  }
  try {
    return nlohmann::json::parse(text, ParseGuard(origin), /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // Turn nlohmann's byte offset into line:column, which is what an editor wants.
    const auto [line, col] = line_col(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string what = e.what();
    auto pos = what.find("syntax error");
    throw InputError(fmt::format("{}:{}:{}: invalid JSON: {}", origin, line, col,
                                 pos == std::string::npos ? what : what.substr(pos)));
  } catch (const nlohmann::json::out_of_range& e) {
    // A number too large for any type (406): nlohmann names it, not where; find it in the text.
    const std::string what = e.what();
    const auto open = what.find('\'');
    const auto close = what.rfind('\'');
    if (open != std::string::npos && close > open + 1) {
      const auto number = std::string_view(what).substr(open + 1, close - open - 1);
      if (const auto at = text.find(number); at != std::string_view::npos) {
        const auto [line, col] = line_col(text, at);
        throw InputError(fmt::format("{}:{}:{}: invalid JSON: the number {} is too large", origin,
                                     line, col, number));
      }
    }
    throw InputError(fmt::format("{}: invalid JSON: {}", origin, what));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: invalid JSON: {}", origin, e.what()));
  }
}

}  // namespace aistor
