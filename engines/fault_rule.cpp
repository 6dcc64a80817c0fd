#include "engines/fault_rule.hpp"

#include <fmt/format.h>

#include "core/config_node.hpp"
#include "core/error.hpp"

namespace aistor {
namespace {

FaultKind parse_kind(const std::string& s) {
  if (s == "enospc") return FaultKind::enospc;
  if (s == "short") return FaultKind::short_io;
  if (s == "latency") return FaultKind::latency;
  if (s == "misdirect") return FaultKind::misdirect;
  if (s == "lost") return FaultKind::lost;
  if (s == "torn") return FaultKind::torn;
  return FaultKind::eio;
}

bool writes_only(FaultKind k) {
  return k == FaultKind::enospc || k == FaultKind::misdirect || k == FaultKind::lost ||
         k == FaultKind::torn;
}

FaultRule parse_rule(ConfigNode& n) {
  FaultRule r;
  r.kind = parse_kind(n.choice("kind", std::nullopt,
                               {"eio", "enospc", "short", "latency", "misdirect", "lost", "torn"}));
  const std::string op =
      n.choice("op", writes_only(r.kind) ? "write" : "any", {"read", "write", "any"});
  if (op == "read") r.op = Op::read;
  if (op == "write") r.op = Op::write;
  if (writes_only(r.kind) && r.op != Op::write) {
    n.fail("op", fmt::format("a {} fault only happens to writes", to_string(r.kind)));
  }
  r.file = n.string("file", "");
  const int triggers =
      static_cast<int>(n.has("rate")) + static_cast<int>(n.has("at")) + n.has("after");
  if (triggers != 1) {
    n.fail("kind",
           "needs exactly one of \"rate\" (0..1 per request), \"at\" (a byte offset) "
           "or \"after\" (bytes)");
  }
  if (n.has("rate")) r.rate = n.number("rate", std::nullopt, 0.0, 1.0);
  if (n.has("at")) r.at = n.size("at", std::nullopt);
  if (n.has("after")) r.after = n.size("after", std::nullopt);
  r.count = static_cast<std::uint64_t>(n.integer("count", INT64_MAX, 1));
  if (r.kind == FaultKind::latency) {
    r.delay_ns = n.duration_ns("delay", std::nullopt);
    if (r.delay_ns == 0) n.fail("delay", "must be longer than 0");
  }
  n.finish();
  return r;
}

}  // namespace

const char* to_string(FaultKind kind) noexcept {
  switch (kind) {
    case FaultKind::enospc:
      return "enospc";
    case FaultKind::short_io:
      return "short";
    case FaultKind::latency:
      return "latency";
    case FaultKind::misdirect:
      return "misdirect";
    case FaultKind::lost:
      return "lost";
    case FaultKind::torn:
      return "torn";
    case FaultKind::eio:
      break;
  }
  return "eio";
}

std::vector<FaultRule> parse_fault_rules(ConfigNode& node, std::string_view key) {
  const nlohmann::json* list = node.raw(key);
  if (list == nullptr || !list->is_array() || list->empty()) {
    node.fail(key,
              "must be a non-empty list of faults, e.g. [{\"kind\": \"eio\", \"rate\": 0.01}]");
  }
  std::vector<FaultRule> rules;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ConfigNode n((*list)[i], fmt::format("{}[{}]", node.key_path(key), i));
    rules.push_back(parse_rule(n));
  }
  return rules;
}

nlohmann::json to_json(const FaultRule& r) {
  nlohmann::json j{{"kind", to_string(r.kind)},
                   {"op", !r.op               ? "any"
                          : *r.op == Op::read ? "read"
                                              : "write"}};
  if (!r.file.empty()) j["file"] = r.file;
  if (r.at) {
    j["at"] = *r.at;
  } else if (r.after) {
    j["after"] = *r.after;
  } else {
    j["rate"] = r.rate;
  }
  if (r.count != static_cast<std::uint64_t>(INT64_MAX)) j["count"] = r.count;
  if (r.kind == FaultKind::latency) j["delay_ns"] = r.delay_ns;
  return j;
}

}  // namespace aistor
