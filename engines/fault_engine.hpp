#pragma once
// The fault-injecting decorator: every request goes to a real host engine unless a rule
// (engines/fault_rule.hpp) fires for it, and then the request fails, moves half its bytes, lands
// late, or is silently misdirected, lost or torn. For tests of error paths and of verification;
// never a stand-in for the engines it wraps. Faults are seeded per worker, so a run repeats.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engines/engine.hpp"
#include "engines/fault_rule.hpp"
#include "engines/registry.hpp"

namespace aistor {

class FaultEngine final : public Engine {
 public:
  FaultEngine(std::unique_ptr<Engine> inner, std::vector<FaultRule> rules, std::uint64_t seed);

  [[nodiscard]] FileId open(const std::filesystem::path& path, Access access) override;
  [[nodiscard]] Buffer allocate(std::size_t bytes) override { return inner_->allocate(bytes); }
  void submit(std::span<const IoRequest> requests) override;
  [[nodiscard]] std::size_t reap(std::span<IoResult> out, std::size_t at_least) override;
  void sync(FileId file) override { inner_->sync(file); }
  void close(FileId file) override { inner_->close(file); }
  [[nodiscard]] std::size_t max_in_flight() const noexcept override {
    return inner_->max_in_flight();
  }
  [[nodiscard]] nlohmann::json describe() const override;
  [[nodiscard]] bool device_memory() const noexcept override { return inner_->device_memory(); }
  void upload(std::byte* dst, std::span<const std::byte> src) override { inner_->upload(dst, src); }
  void upload_all(std::byte* dst, std::span<const std::span<const std::byte>> srcs) override {
    inner_->upload_all(dst, srcs);
  }
  void download(std::span<std::byte> dst, const std::byte* src) override {
    inner_->download(dst, src);
  }
  // How many faults of a kind this engine has injected so far.
  [[nodiscard]] std::uint64_t injected(FaultKind kind) const noexcept;

 private:
  struct RuleState {
    FaultRule rule;
    std::uint64_t fired = 0;
    std::uint64_t seen_bytes = 0;  // for `after`
  };
  // What to do with the inner engine's result for a request a rule changed.
  struct Adjust {
    std::int64_t report = -1;  // when >= 0: the result to report if the inner one succeeded
    std::uint64_t delay_ns = 0;
  };
  struct Held {
    std::uint64_t due_ns;
    IoResult result;
  };

  [[nodiscard]] const FaultRule* fire(const IoRequest& r);
  [[nodiscard]] bool hits(RuleState& s, const IoRequest& r);
  void finish(const IoResult& inner_result);
  void release_due();

  std::unique_ptr<Engine> inner_;
  std::vector<RuleState> rules_;
  std::uint64_t seed_;
  std::uint64_t rng_;
  std::vector<std::string> paths_;
  std::unordered_map<std::uint64_t, Adjust> adjust_;  // by tag, for forwarded requests
  std::vector<IoRequest> forward_;
  std::vector<IoResult> scratch_;
  std::vector<IoResult> ready_;
  std::vector<Held> held_;
  std::size_t inner_outstanding_ = 0;
  std::vector<std::uint64_t> injected_;  // per kind
};

[[nodiscard]] EngineInfo fault_engine_info();

}  // namespace aistor
