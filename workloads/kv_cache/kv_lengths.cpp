#include "workloads/kv_cache/kv_lengths.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/config_node.hpp"
#include "core/error.hpp"

namespace aistor {
namespace {

struct UserClass {
  std::uint32_t min;
  std::uint32_t max;
};
// MLPerf's user types: chat, code, documents.
constexpr std::array kMlperfUsers{UserClass{256, 1024}, UserClass{1024, 4096},
                                  UserClass{2048, 8192}};

constexpr std::uint64_t kMaxLengthsFile = 64u << 20;

// One CSV line's first column as a count; nullopt when it is not a number.
std::optional<std::int64_t> first_column(std::string_view line) {
  const auto comma = line.find(',');
  std::string_view cell = line.substr(0, comma);
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '"'))
    cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '"' || cell.back() == '\r'))
    cell.remove_suffix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (ec != std::errc{} || end != cell.data() + cell.size() || cell.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::vector<std::uint32_t> read_kv_lengths(const std::filesystem::path& path,
                                           std::uint32_t min_tokens) {
  // A regular file only: a FIFO or device would block or never end.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(fmt::format("{}: not a regular file of token counts", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the lengths file", path.string()));
  std::string text(kMaxLengthsFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxLengthsFile)
    throw InputError(fmt::format("{}: larger than {} MiB", path.string(), kMaxLengthsFile >> 20));
  auto check = [&](std::int64_t v, std::size_t line) {
    if (v < min_tokens || v > kMaxKvTokens) {
      throw InputError(fmt::format("{}:{}: {} is not a token count in [{}, {}]", path.string(),
                                   line, v, min_tokens, kMaxKvTokens));
    }
    return static_cast<std::uint32_t>(v);
  };
  std::vector<std::uint32_t> counts;
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    const nlohmann::json j = parse_json_with_comments(text, path.string());
    if (!j.is_array()) throw InputError(fmt::format("{}: not a JSON array", path.string()));
    for (std::size_t i = 0; i < j.size(); ++i) {
      const bool integer = j[i].is_number_integer();
      const std::int64_t v = integer ? j[i].get<std::int64_t>() : 0;
      if (!integer || v < min_tokens || v > kMaxKvTokens) {
        throw InputError(fmt::format("{}: [{}]: {} is not a token count in [{}, {}]", path.string(),
                                     i, j[i].dump(), min_tokens, kMaxKvTokens));
      }
      counts.push_back(static_cast<std::uint32_t>(v));
    }
  } else {
    std::istringstream lines(text);
    std::string line;
    for (std::size_t n = 1; std::getline(lines, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const auto v = first_column(line);
      if (!v) {
        if (n == 1) continue;  // a header
        throw InputError(
            fmt::format("{}:{}: the first column is not a token count", path.string(), n));
      }
      counts.push_back(check(*v, n));
    }
  }
  if (counts.empty()) throw InputError(fmt::format("{}: holds no token counts", path.string()));
  return counts;
}

KvLengths KvLengths::fixed(std::uint32_t tokens) {
  KvLengths l;
  l.tokens_ = tokens;
  return l;
}

KvLengths KvLengths::parse(ConfigNode& phase, std::string_view key, std::uint32_t def,
                           std::uint32_t min_tokens) {
  const nlohmann::json* raw = phase.raw(key);
  if (raw == nullptr) return fixed(def);
  auto count = [&](ConfigNode& n, std::string_view k) {
    return static_cast<std::uint32_t>(n.integer(k, std::nullopt, min_tokens, kMaxKvTokens));
  };
  if (!raw->is_object()) return fixed(count(phase, key));
  KvLengths l;
  ConfigNode node = phase.object(key);
  const std::string kind = node.choice("distribution", std::nullopt,
                                       {"mlperf", "fixed", "uniform", "lognormal", "file"});
  if (kind == "mlperf") {
    l.kind_ = Kind::mlperf;
  } else if (kind == "fixed") {
    l.tokens_ = count(node, "tokens");
  } else if (kind == "uniform") {
    l.kind_ = Kind::uniform;
    l.min_ = count(node, "min");
    l.max_ = count(node, "max");
    if (l.max_ < l.min_) node.fail("max", "must not be below min");
  } else if (kind == "lognormal") {
    l.kind_ = Kind::lognormal;
    l.median_ = node.number("median", std::nullopt, 1, kMaxKvTokens);
    l.sigma_ = node.number("sigma", std::nullopt, 0, 10);
    l.min_ = static_cast<std::uint32_t>(node.integer("min", min_tokens, min_tokens, kMaxKvTokens));
    l.max_ = count(node, "max");
    if (l.max_ < l.min_) node.fail("max", "must not be below min");
  } else {
    l.kind_ = Kind::file;
    l.path_ = node.string("path", std::nullopt);
    try {
      l.counts_ =
          std::make_shared<const std::vector<std::uint32_t>>(read_kv_lengths(l.path_, min_tokens));
    } catch (const InputError& e) {
      node.fail("path", e.what());
    }
    l.next_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  }
  node.finish();
  return l;
}

std::uint32_t KvLengths::user_state(KvRng& rng) const {
  if (kind_ != Kind::mlperf) return 0;
  const auto& c = kMlperfUsers[rng.uniform(0, kMlperfUsers.size() - 1)];
  return rng.uniform(c.min, c.max);
}

std::uint32_t KvLengths::draw(KvRng& rng, std::uint32_t user) const {
  switch (kind_) {
    case Kind::mlperf:
      return rng.uniform((user + 3) / 4, user);
    case Kind::uniform:
      return rng.uniform(min_, max_);
    case Kind::lognormal: {
      const double v = std::lognormal_distribution<double>(std::log(median_), sigma_)(rng);
      return static_cast<std::uint32_t>(
          std::clamp(std::llround(v), static_cast<long long>(min_), static_cast<long long>(max_)));
    }
    case Kind::file:
      return (*counts_)[next_->fetch_add(1, std::memory_order_relaxed) % counts_->size()];
    case Kind::fixed:
      break;
  }
  return tokens_;
}

std::uint32_t KvLengths::max_tokens() const noexcept {
  switch (kind_) {
    case Kind::mlperf:
      return kMlperfUsers.back().max;
    case Kind::uniform:
    case Kind::lognormal:
      return max_;
    case Kind::file:
      return *std::max_element(counts_->begin(), counts_->end());
    case Kind::fixed:
      break;
  }
  return tokens_;
}

nlohmann::json KvLengths::to_json() const {
  switch (kind_) {
    case Kind::mlperf:
      return {{"distribution", "mlperf"}};
    case Kind::uniform:
      return {{"distribution", "uniform"}, {"min", min_}, {"max", max_}};
    case Kind::lognormal:
      return {{"distribution", "lognormal"},
              {"median", median_},
              {"sigma", sigma_},
              {"min", min_},
              {"max", max_}};
    case Kind::file:
      return {{"distribution", "file"}, {"path", path_.string()}, {"counts", counts_->size()}};
    case Kind::fixed:
      break;
  }
  return {{"distribution", "fixed"}, {"tokens", tokens_}};
}

}  // namespace aistor
