#include "workloads/runner/plan.hpp"

#include <fmt/format.h>
#include <charconv>
#include <fstream>
#include <map>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/sha256.hpp"
#include "engines/registry.hpp"
#include "workloads/runner/ranks.hpp"
#include "workloads/workload.hpp"

namespace aistor {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    parts.emplace_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return parts;
}

std::optional<std::size_t> as_index(const std::string& s) {
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Sets `value` at a dotted path, creating objects on the way. `where` prefixes errors.
void set_path(nlohmann::json& root, std::string_view path, nlohmann::json value,
              std::string_view where) {
  auto parts = split_path(path);
  nlohmann::json* at = &root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& key = parts[i];
    if (key.empty()) throw InputError(fmt::format("{}: empty segment in path \"{}\"", where, path));
    bool last = i + 1 == parts.size();
    if (at->is_array()) {
      auto index = as_index(key);
      if (!index || *index >= at->size()) {
        throw InputError(fmt::format("{}: \"{}\": no element {} (the list has {})", where, path,
                                     key, at->size()));
      }
      at = &(*at)[*index];
    } else {
      if (at->is_null()) *at = nlohmann::json::object();
      if (!at->is_object()) {
        throw InputError(fmt::format("{}: \"{}\": \"{}\" is inside a {}, not an object", where,
                                     path, key, at->type_name()));
      }
      at = &(*at)[key];
    }
    if (last) *at = std::move(value);
  }
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object()) return v.dump();
  // {"name": "io_uring", "queue_depth": 32} reads as io_uring(queue_depth=32).
  std::vector<std::string> rest;
  for (const auto& [k, x] : v.items()) {
    if (k != "name") rest.push_back(fmt::format("{}={}", k, value_text(x)));
  }
  std::string name = v.contains("name") ? value_text(v["name"]) : "";
  return rest.empty() ? name : fmt::format("{}({})", name, fmt::join(rest, ","));
}

// A phase's "name" (or "workload") for labels: it must be a string when given.
std::string label_of(const nlohmann::json& phase, const char* key, const std::string& otherwise,
                     const std::string& path) {
  const auto it = phase.find(key);
  if (it == phase.end()) return otherwise;
  if (!it->is_string()) {
    throw InputError(
        fmt::format("config: {}.{}: must be a string, got {}", path, key, it->type_name()));
  }
  return it->get<std::string>();
}

// One phase object with a "matrix" becomes one phase per combination of its lists.
std::vector<nlohmann::json> expand(const nlohmann::json& phase, const std::string& path) {
  auto it = phase.find("matrix");
  if (it == phase.end()) return {phase};
  const auto& matrix = *it;
  if (!matrix.is_object() || matrix.empty()) {
    throw InputError(fmt::format("config: {}.matrix: must be an object of lists", path));
  }
  std::vector<std::pair<std::string, nlohmann::json>> axes;
  std::uint64_t cells = 1;
  for (const auto& [key, values] : matrix.items()) {
    if (!values.is_array() || values.empty()) {
      throw InputError(fmt::format("config: {}.matrix.{}: must be a non-empty list", path, key));
    }
    if (key == "matrix" || key == "name" || key == "params") {
      throw InputError(fmt::format("config: {}.matrix.{}: cannot be varied", path, key));
    }
    // Counted before anything is built: 10^8 cells would exhaust memory before any check ran.
    if (__builtin_mul_overflow(cells, values.size(), &cells) || cells > kMaxPhases) {
      throw InputError(
          fmt::format("config: {}.matrix: more than {} cells (the lists' lengths "
                      "multiply); split it into phases",
                      path, kMaxPhases));
    }
    axes.emplace_back(key, values);
  }
  std::vector<nlohmann::json> out;
  std::vector<std::size_t> pick(axes.size(), 0);
  // Each cell starts from the phase without its matrix (copying the lists into every cell and
  // erasing them again made a 10,000-cell plan several times slower).
  nlohmann::json base = nlohmann::json::object();
  for (const auto& [key, value] : phase.items()) {
    if (key != "matrix") base[key] = value;
  }
  // The cells copy the phase: a large phase times many cells exhausts memory as surely as many
  // cells do, so their product is bounded too.
  const std::uint64_t phase_bytes = base.dump().size();
  if (std::uint64_t all = 0;
      __builtin_mul_overflow(cells, phase_bytes, &all) || all > kMaxPlanBytes) {
    throw InputError(
        fmt::format("config: {}.matrix: {} cells of a {}-byte phase make more than "
                    "{} MiB of phases; split it",
                    path, cells, phase_bytes, kMaxPlanBytes >> 20));
  }
  out.reserve(static_cast<std::size_t>(cells));
  for (;;) {
    nlohmann::json p = base;
    nlohmann::json params = nlohmann::json::object();
    std::vector<std::string> label;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const auto& v = axes[a].second[pick[a]];
      set_path(p, axes[a].first, v, fmt::format("config: {}.matrix", path));
      params[axes[a].first] = v;
      // An object with a name labels itself; anything else is shown as key=value.
      label.push_back(v.is_object() && v.contains("name")
                          ? value_text(v)
                          : fmt::format("{}={}", axes[a].first, value_text(v)));
    }
    std::string stem = label_of(p, "name", label_of(p, "workload", "phase", path), path);
    p["name"] = fmt::format("{}[{}]", stem, fmt::join(label, ","));
    p["params"] = params;
    out.push_back(std::move(p));
    std::size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++pick[a] < axes[a].second.size()) break;
      pick[a] = 0;
      if (a == 0) return out;
    }
  }
}

CachePolicy parse_cache(ConfigNode& phase, bool allow_drop) {
  CachePolicy c;
  const auto* raw = phase.raw("cache");
  if (raw == nullptr) return c;
  std::string kind;
  if (raw->is_string()) {
    kind = phase.choice("cache", "cold", {"cold", "warm", "as-is"});
  } else {
    ConfigNode node = phase.object("cache");
    kind = node.choice("policy", "cold", {"cold", "warm", "as-is"});
    c.drop_caches = node.boolean("drop_caches", false);
    node.finish();
    if (c.drop_caches && !allow_drop) {
      node.fail("drop_caches", "needs \"allow_drop_caches\": true at the top level of the config");
    }
    if (c.drop_caches && kind != "cold")
      node.fail("drop_caches", "only applies to policy \"cold\"");
  }
  c.kind = kind == "warm" ? CacheKind::warm : kind == "as-is" ? CacheKind::as_is : CacheKind::cold;
  return c;
}

PhaseSpec parse_phase(const nlohmann::json& j, const std::string& path, const Plan& plan,
                      std::uint64_t interval_ns) {
  ConfigNode phase(j, path);
  PhaseSpec s;
  s.path = path;
  s.config = j;
  s.workload = phase.string("workload", std::nullopt);
  s.name = phase.string("name", s.workload);
  if (const auto* params = phase.raw("params")) s.params = *params;
  if (phase.has("engine")) {
    ConfigNode engine = phase.object("engine");
    s.engine = parse_engine_config(engine);
  }
  s.cache = parse_cache(phase, plan.allow_drop_caches);
  s.repeat = static_cast<unsigned>(phase.integer("repeat", 1, 1, 1000));
  s.stop_on_error = phase.choice("on_error", "stop", {"stop", "continue"}) == "stop";
  s.dir = phase.has("dir") ? std::filesystem::path(phase.string("dir", "")) : plan.dir;
  s.interval_ns = phase.duration_ns("timeseries_interval", interval_ns);
  if (s.interval_ns < 1'000'000) phase.fail("timeseries_interval", "must be at least 1ms");
  const WorkloadInfo* info = find_workload(s.workload);
  if (info == nullptr) {
    std::vector<std::string> names;
    for (const auto& w : workloads())
      names.push_back(w.name);
    phase.fail("workload", fmt::format("unknown workload \"{}\" (known: {})", s.workload,
                                       fmt::join(names, ", ")));
  }
  if (const EngineInfo* engine = find_engine(s.engine.name);
      engine != nullptr && engine->device_memory && !info->device_memory) {
    phase.fail("engine", fmt::format("engine {} delivers into GPU memory, which the {} workload "
                                     "cannot use: {}",
                                     s.engine.name, s.workload, info->no_device_memory_why));
  }
  if (phase.has("search")) {
    ConfigNode n = phase.object("search");
    SearchSpec search;
    search.param = n.string("param", std::nullopt);
    search.metric = n.string("metric", search.metric);
    if (n.has("at_least") && n.has("at_most"))
      n.fail("at_most", "give at_least (a floor) or at_most (a ceiling), not both");
    search.at_least = n.number("at_least", search.at_least, -1e300, 1e300);
    if (n.has("at_most")) search.at_most = n.number("at_most", std::nullopt, -1e300, 1e300);
    search.from = n.integer("from", 1, 0);
    search.to = n.integer("to", 64, search.from);
    n.finish();
    if (s.repeat > 1) phase.fail("repeat", "a search runs its own trials; leave repeat out");
    s.search = search;
  }
  if (phase.has("trace")) {
    s.trace = phase.string("trace", std::nullopt);
    if (s.trace->empty()) phase.fail("trace", "a file name for the trace");
    if (s.repeat > 1 || s.search) {
      phase.fail("trace",
                 "one trace holds one run of a phase: leave repeat and search out, or "
                 "trace a phase of its own");
    }
  }
  (void)info->make(phase);  // validates the workload's own keys
  phase.finish();
  if (s.search) {
    // The workload must take the key, at both ends of the range: the phase with it set, checked
    // as the phase itself was (an unknown key fails finish()).
    for (std::int64_t v : {s.search->from, s.search->to}) {
      nlohmann::json trial = j;
      trial[s.search->param] = v;
      ConfigNode trial_node(trial, path);
      for (const auto& [key, value] : j.items())
        trial_node.accept(key);
      try {
        (void)info->make(trial_node);
      } catch (const InputError& e) {
        // The workload names the key it refused, which the file does not hold: name the search.
        std::string why = e.what();
        if (const auto c = why.find(": ", 8); why.starts_with("config: ") && c != std::string::npos)
          why = why.substr(c + 2);
        throw InputError(fmt::format("config: {}.search.{}: {} = {} is refused: {}", path,
                                     v == s.search->from ? "from" : "to", s.search->param, v, why));
      }
      try {
        trial_node.finish();
      } catch (const InputError&) {
        throw InputError(
            fmt::format("config: {}.search.param: \"{}\" is not a key workload {} "
                        "takes",
                        path, s.search->param, s.workload));
      }
    }
  }
  return s;
}

}  // namespace

const char* to_string(CacheKind kind) noexcept {
  switch (kind) {
    case CacheKind::warm:
      return "warm";
    case CacheKind::as_is:
      return "as-is";
    case CacheKind::cold:
      break;
  }
  return "cold";
}

nlohmann::json read_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(fmt::format("{}: a directory, not a config file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the config file", path.string()));
  // Read no more than a config may hold (a device or pipe that never ends is refused, not read).
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw InputError(fmt::format("{}: cannot read the config file", path.string()));
  return parse_json_with_comments(text, path.string());
}

void apply_override(nlohmann::json& config, std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw InputError(fmt::format("--set {}: expected path=value", assignment));
  }
  auto path = assignment.substr(0, eq);
  auto text = std::string(assignment.substr(eq + 1));
  nlohmann::json value = nlohmann::json::parse(
      text, json_depth_guard(fmt::format("--set {}", assignment)), /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;
  set_path(config, path, std::move(value), fmt::format("--set {}", assignment));
}

Plan make_plan(const nlohmann::json& config,
               const std::optional<std::filesystem::path>& dir_override) {
  ConfigNode top(config, "");
  Plan plan;
  (void)top.string("description", "");
  std::filesystem::path configured = top.string("dir", "aistor-data");
  plan.dir = dir_override ? *dir_override : configured;
  plan.allow_drop_caches = top.boolean("allow_drop_caches", false);
  auto interval = top.duration_ns("timeseries_interval", 100'000'000);
  plan.rank_timeout_ns = top.duration_ns("rank_timeout", Ranks::kDefaultTimeoutNs);
  if (plan.rank_timeout_ns == 0) top.fail("rank_timeout", "must be longer than 0 s");
  const auto* phases = top.raw("phases");
  if (phases == nullptr || !phases->is_array() || phases->empty()) {
    top.fail("phases", "must be a non-empty list of phases");
  }
  top.finish();

  plan.resolved = config;
  plan.resolved["dir"] = plan.dir.string();
  nlohmann::json expanded = nlohmann::json::array();
  for (std::size_t i = 0; i < phases->size(); ++i) {
    std::string path = fmt::format("phases[{}]", i);
    if (!(*phases)[i].is_object()) {
      throw InputError(fmt::format("config: {}: must be an object", path));
    }
    if ((*phases)[i].contains("params")) {
      throw InputError(fmt::format(
          "config: {}.params: unknown key (a matrix cell's parameters are set by its matrix)",
          path));
    }
    for (auto& p : expand((*phases)[i], path)) {
      if (plan.phases.size() >= kMaxPhases) {
        throw InputError(
            fmt::format("config: {}: more than {} phases in all (matrices "
                        "included); split the config",
                        path, kMaxPhases));
      }
      plan.phases.push_back(parse_phase(p, path, plan, interval));
      expanded.push_back(std::move(p));
    }
  }
  // Two phases of one name would be two rows no table, compare or search could tell apart. A
  // name given twice is refused; a phase without one (named after its workload) that meets its
  // name again is numbered: "raw", "raw-2".
  std::map<std::string, std::string, std::less<>> names;
  for (std::size_t i = 0; i < plan.phases.size(); ++i) {
    auto& p = plan.phases[i];
    const bool named = expanded[i].contains("name");
    if (!named) {
      for (unsigned k = 2; names.contains(p.name); ++k)
        p.name = fmt::format("{}-{}", p.workload, k);
    }
    if (const auto [it, fresh] = names.emplace(p.name, p.path); !fresh) {
      throw InputError(
          fmt::format("config: {}.name: \"{}\" is also the name of {}; give each "
                      "phase a name of its own",
                      p.path, p.name, it->second));
    }
  }
  // Two phases writing one trace would leave only the last.
  std::map<std::filesystem::path, std::string> traces;
  for (const auto& p : plan.phases) {
    if (!p.trace) continue;
    if (const auto [it, fresh] = traces.emplace(p.trace->lexically_normal(), p.path); !fresh) {
      throw InputError(fmt::format(
          "config: {}.trace: \"{}\" is also the trace of {} (a matrix's cells too); give each "
          "phase a trace of its own",
          p.path, p.trace->string(), it->second));
    }
  }
  plan.resolved["phases"] = expanded;
  plan.sha256 = sha256_hex(plan.resolved.dump());
  return plan;
}

}  // namespace aistor
