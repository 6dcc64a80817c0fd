#include "engines/fault_engine.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "core/clock.hpp"
#include "core/splitmix.hpp"

namespace aistor {
namespace {

constexpr std::size_t kKinds = 7;

// Half the request, in whole 4 KiB blocks when it has two or more (so an O_DIRECT engine can
// still do it), else in bytes; 0 when there is nothing to halve.
std::uint32_t first_half(std::uint32_t length) {
  if (length >= 8192) return length / 2 / 4096 * 4096;
  return length / 2;
}

}  // namespace

FaultEngine::FaultEngine(std::unique_ptr<Engine> inner, std::vector<FaultRule> rules,
                         std::uint64_t seed)
    : inner_(std::move(inner)), seed_(seed), rng_(seed), injected_(kKinds, 0) {
  for (auto& r : rules)
    rules_.push_back({std::move(r)});
  scratch_.resize(std::max<std::size_t>(64, inner_->max_in_flight()));
}

FileId FaultEngine::open(const std::filesystem::path& path, Access access) {
  FileId id = inner_->open(path, access);
  if (paths_.size() <= id) paths_.resize(id + 1);
  paths_[id] = path.string();
  return id;
}

bool FaultEngine::hits(RuleState& s, const IoRequest& r) {
  const FaultRule& rule = s.rule;
  if (s.fired >= rule.count) return false;
  if (rule.op && *rule.op != r.op) return false;
  if (!rule.file.empty() &&
      (r.file >= paths_.size() || paths_[r.file].find(rule.file) == std::string::npos)) {
    return false;
  }
  bool hit = false;
  if (rule.at) {
    hit = r.offset <= *rule.at && *rule.at < r.offset + r.length;
  } else if (rule.after) {
    hit = s.seen_bytes >= *rule.after;
    s.seen_bytes += r.length;
  } else {
    hit = static_cast<double>(splitmix64(rng_) >> 11) * 0x1.0p-53 < rule.rate;
  }
  if (hit) ++s.fired;
  return hit;
}

const FaultRule* FaultEngine::fire(const IoRequest& r) {
  for (auto& s : rules_) {
    if (hits(s, r)) {
      ++injected_[static_cast<std::size_t>(s.rule.kind)];
      return &s.rule;
    }
  }
  return nullptr;
}

void FaultEngine::submit(std::span<const IoRequest> requests) {
  forward_.clear();
  for (const IoRequest& r : requests) {
    const FaultRule* rule = fire(r);
    if (rule == nullptr) {
      forward_.push_back(r);
      continue;
    }
    IoRequest changed = r;
    Adjust adjust;
    switch (rule->kind) {
      case FaultKind::eio:
        ready_.push_back({r.tag, -EIO, now_ns()});
        continue;
      case FaultKind::enospc:
        ready_.push_back({r.tag, -ENOSPC, now_ns()});
        continue;
      case FaultKind::lost:
        ready_.push_back({r.tag, r.length, now_ns()});
        continue;
      case FaultKind::short_io:
        changed.length = first_half(r.length);
        break;
      case FaultKind::torn:
        changed.length = first_half(r.length);
        adjust.report = r.length;
        break;
      case FaultKind::misdirect:
        changed.offset = r.offset >= r.length ? r.offset - r.length : r.offset + r.length;
        break;
      case FaultKind::latency:
        adjust.delay_ns = rule->delay_ns;
        break;
    }
    if (changed.length == 0) {  // nothing left to move: the short or torn result at once
      ready_.push_back({r.tag, adjust.report >= 0 ? adjust.report : 0, now_ns()});
      continue;
    }
    adjust_[r.tag] = adjust;
    forward_.push_back(changed);
  }
  if (!forward_.empty()) {
    inner_->submit(forward_);
    inner_outstanding_ += forward_.size();
  }
}

void FaultEngine::finish(const IoResult& inner_result) {
  IoResult res = inner_result;
  auto it = adjust_.find(res.tag);
  if (it == adjust_.end()) {
    ready_.push_back(res);
    return;
  }
  const Adjust a = it->second;
  adjust_.erase(it);
  if (a.report >= 0 && res.res >= 0) res.res = a.report;
  if (a.delay_ns == 0) {
    ready_.push_back(res);
    return;
  }
  res.done_ns += a.delay_ns;
  held_.push_back({res.done_ns, res});
}

void FaultEngine::release_due() {
  const std::uint64_t now = now_ns();
  auto due = std::stable_partition(held_.begin(), held_.end(),
                                   [now](const Held& h) { return h.due_ns > now; });
  for (auto it = due; it != held_.end(); ++it)
    ready_.push_back(it->result);
  held_.erase(due, held_.end());
}

std::size_t FaultEngine::reap(std::span<IoResult> out, std::size_t at_least) {
  const std::size_t want =
      std::min({at_least, out.size(), ready_.size() + held_.size() + inner_outstanding_});
  for (bool first = true; first || ready_.size() < want; first = false) {
    release_due();
    if (ready_.size() >= want && !first) break;
    // Block on the inner engine only when nothing is held back (a held completion has a due
    // time to keep); otherwise look, and sleep briefly toward the earliest due time.
    const bool block = held_.empty() && ready_.size() < want;
    std::size_t n = inner_outstanding_ == 0 ? 0 : inner_->reap(scratch_, block ? 1 : 0);
    inner_outstanding_ -= n;
    for (std::size_t i = 0; i < n; ++i)
      finish(scratch_[i]);
    release_due();
    if (n == 0 && ready_.size() < want && !held_.empty()) {
      auto earliest =
          std::min_element(held_.begin(), held_.end(), [](const Held& a, const Held& b) {
            return a.due_ns < b.due_ns;
          })->due_ns;
      const std::uint64_t now = now_ns();
      if (earliest > now) {
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::min<std::uint64_t>(earliest - now, 100'000)));
      }
    }
  }
  const std::size_t n = std::min(out.size(), ready_.size());
  std::copy_n(ready_.begin(), n, out.begin());
  ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

nlohmann::json FaultEngine::describe() const {
  nlohmann::json host = inner_->describe();
  nlohmann::json j{{"name", "fault"},
                   {"direct", host.value("direct", false)},
                   {"host_engine", host},
                   {"seed", seed_},
                   {"faults", nlohmann::json::array()}};
  for (const auto& s : rules_)
    j["faults"].push_back(to_json(s.rule));
  return j;
}

std::uint64_t FaultEngine::injected(FaultKind kind) const noexcept {
  return injected_[static_cast<std::size_t>(kind)];
}

}  // namespace aistor

namespace aistor {

EngineInfo fault_engine_info() {
  EngineInfo info{"fault",
                  "for tests: a host engine (host_engine) with faults injected by rule (faults: "
                  "eio, enospc, short, latency, misdirect, lost, torn; seed)",
                  {"queue_depth", "direct", "fadvise", "host_engine", "faults", "seed"},
                  false,
                  {},
                  {},
                  false};
  info.probe = [](const std::filesystem::path&) { return Availability{true, "a test decorator"}; };
  info.make = [](const EngineConfig& c) -> std::unique_ptr<Engine> {
    EngineConfig host;
    host.name = c.host_engine;
    host.queue_depth = c.host_engine == "io_uring" ? c.queue_depth : 1;
    host.direct = c.direct || c.host_engine == "odirect";
    host.fadvise = c.fadvise;
    host.worker = c.worker;
    return std::make_unique<FaultEngine>(make_engine(host), c.faults,
                                         mix64(c.fault_seed + c.worker * kGolden64));
  };
  return info;
}

}  // namespace aistor
