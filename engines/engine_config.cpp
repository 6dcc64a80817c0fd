#include "engines/engine_config.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "core/config_node.hpp"
#include "engines/registry.hpp"

namespace aistor {
namespace {

Madvise parse_madvise(const std::string& s) {
  if (s == "normal") return Madvise::normal;
  if (s == "sequential") return Madvise::sequential;
  if (s == "random") return Madvise::random;
  if (s == "willneed") return Madvise::willneed;
  return Madvise::none;
}

void parse_gpus(ConfigNode& node, EngineConfig& c) {
  const nlohmann::json* list = node.raw("gpus");
  if (list == nullptr) return;
  if (!list->is_array() || list->empty()) {
    node.fail("gpus", "must be a non-empty list of GPU indices, e.g. [0, 1]");
  }
  c.gpus.clear();
  for (const auto& g : *list) {
    if (!g.is_number_integer() || g.get<std::int64_t>() < 0 || g.get<std::int64_t>() > 1023) {
      node.fail("gpus", fmt::format("{} is not a GPU index (0, 1, ...)", g.dump()));
    }
    c.gpus.push_back(g.get<int>());
  }
}

}  // namespace

const char* to_string(Madvise advice) noexcept {
  switch (advice) {
    case Madvise::normal:
      return "normal";
    case Madvise::sequential:
      return "sequential";
    case Madvise::random:
      return "random";
    case Madvise::willneed:
      return "willneed";
    case Madvise::none:
      break;
  }
  return "none";
}

EngineConfig parse_engine_config(ConfigNode& node) {
  EngineConfig c;
  c.name = node.string("name", std::nullopt);
  const EngineInfo* info = find_engine(c.name);
  if (info == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : engines())
      names.push_back(e.name);
    node.fail("name", fmt::format("unknown engine \"{}\" (compiled in: {})", c.name,
                                  fmt::join(names, ", ")));
  }
  auto accepts = [&](std::string_view key) {
    return std::find(info->options.begin(), info->options.end(), key) != info->options.end();
  };
  // Only the keys this engine accepts are read; finish() then rejects the others by path.
  if (accepts("queue_depth")) {
    c.queue_depth = static_cast<unsigned>(node.integer("queue_depth", 1, 1, 65536));
  }
  if (accepts("direct")) c.direct = node.boolean("direct", false);
  if (accepts("sqpoll")) c.sqpoll = node.boolean("sqpoll", false);
  if (accepts("fixed_buffers")) c.fixed_buffers = node.boolean("fixed_buffers", true);
  if (accepts("registered_files")) c.registered_files = node.boolean("registered_files", true);
  if (accepts("submit_batch")) {
    c.submit_batch = static_cast<unsigned>(node.integer("submit_batch", 1, 0, 65536));
  }
  if (accepts("madvise")) {
    c.madvise = parse_madvise(
        node.choice("madvise", "none", {"none", "normal", "sequential", "random", "willneed"}));
  }
  if (accepts("fadvise")) {
    c.fadvise = parse_madvise(
        node.choice("fadvise", "none", {"none", "normal", "sequential", "random", "willneed"}));
  }
  if (accepts("huge_pages")) c.huge_pages = node.boolean("huge_pages", false);
  if (accepts("populate")) c.populate = node.boolean("populate", false);
  if (accepts("touch")) c.touch = node.boolean("touch", false);
  if (accepts("host_engine")) {
    c.host_engine =
        node.choice("host_engine", "io_uring", {"pread", "odirect", "io_uring", "mmap"});
    if (c.host_engine == "mmap" && c.direct) {
      node.fail("direct", "host_engine mmap reads through the page cache; it cannot be direct");
    }
  }
  if (accepts("staging_buffers")) {
    c.staging_buffers = static_cast<unsigned>(node.integer("staging_buffers", 4, 1, 1024));
  }
  if (accepts("staging_size")) {
    c.staging_size = node.size("staging_size", 16ULL << 20, 4096, 1ULL << 30);
    if (c.staging_size % 4096 != 0) node.fail("staging_size", "must be a multiple of 4 KiB");
  }
  if (accepts("streams")) c.streams = static_cast<unsigned>(node.integer("streams", 2, 1, 64));
  if (accepts("gpus")) parse_gpus(node, c);
  if (accepts("verify")) c.verify = node.boolean("verify", false);
  if (accepts("faults")) c.faults = parse_fault_rules(node, "faults");
  if (accepts("seed")) c.fault_seed = static_cast<std::uint64_t>(node.integer("seed", 1, 0));
  if (!accepts("queue_depth") && node.has("queue_depth")) {
    // A synchronous engine runs one request at a time; 1 is accepted so matrices can share it.
    if (node.integer("queue_depth", 1, 1) != 1) {
      node.fail("queue_depth", fmt::format("engine {} is synchronous: queue depth must be 1 "
                                           "(use threads for parallelism)",
                                           c.name));
    }
  }
  for (const auto& [key, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"sqpoll", "only io_uring has it"},
           {"madvise", "only mmap has it"},
           {"fadvise", "mmap takes madvise instead"}}) {
    if (node.has(key) && !accepts(key)) {
      node.fail(key, fmt::format("engine {} does not take this option ({})", c.name, value));
    }
  }
  node.finish();
  return c;
}

nlohmann::json to_json(const EngineConfig& c) {
  nlohmann::json j{{"name", c.name}, {"queue_depth", c.queue_depth}};
  const EngineInfo* info = find_engine(c.name);
  if (info == nullptr) return j;
  for (const auto& key : info->options) {
    if (key == "direct") j["direct"] = c.direct;
    if (key == "sqpoll") j["sqpoll"] = c.sqpoll;
    if (key == "fixed_buffers") j["fixed_buffers"] = c.fixed_buffers;
    if (key == "registered_files") j["registered_files"] = c.registered_files;
    if (key == "submit_batch") j["submit_batch"] = c.submit_batch;
    if (key == "madvise") j["madvise"] = to_string(c.madvise);
    if (key == "fadvise") j["fadvise"] = to_string(c.fadvise);
    if (key == "huge_pages") j["huge_pages"] = c.huge_pages;
    if (key == "populate") j["populate"] = c.populate;
    if (key == "touch") j["touch"] = c.touch;
    if (key == "host_engine") j["host_engine"] = c.host_engine;
    if (key == "staging_buffers") j["staging_buffers"] = c.staging_buffers;
    if (key == "staging_size") j["staging_size"] = c.staging_size;
    if (key == "streams") j["streams"] = c.streams;
    if (key == "gpus") j["gpus"] = c.gpus;
    if (key == "verify") j["verify"] = c.verify;
    if (key == "seed") j["seed"] = c.fault_seed;
    if (key == "faults") {
      j["faults"] = nlohmann::json::array();
      for (const auto& f : c.faults)
        j["faults"].push_back(to_json(f));
    }
  }
  return j;
}

}  // namespace aistor
