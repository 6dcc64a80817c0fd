#include "workloads/samples/epoch_order.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/permutation.hpp"
#include "core/splitmix.hpp"

namespace aistor {

std::optional<ShuffleMode> parse_shuffle(std::string_view name) noexcept {
  if (name == "global") return ShuffleMode::global;
  if (name == "files") return ShuffleMode::files;
  if (name == "none") return ShuffleMode::none;
  return std::nullopt;
}

const char* to_string(ShuffleMode mode) noexcept {
  switch (mode) {
    case ShuffleMode::global:
      return "global";
    case ShuffleMode::files:
      return "files";
    case ShuffleMode::none:
      break;
  }
  return "none";
}

namespace {

std::uint64_t epoch_seed(std::uint64_t seed, unsigned epoch) noexcept {
  return mix64(seed ^ (kGolden64 * (epoch + 1)));
}

}  // namespace

EpochOrder::EpochOrder(ShuffleMode mode, std::uint64_t samples,
                       std::vector<std::uint64_t> file_starts, std::uint64_t seed, unsigned epochs)
    : mode_(mode), samples_(samples), seed_(seed), file_starts_(std::move(file_starts)) {
  if (!file_starts_.empty()) {
    if (file_starts_.front() != 0 || file_starts_.back() != samples ||
        !std::is_sorted(file_starts_.begin(), file_starts_.end())) {
      throw std::invalid_argument("EpochOrder: file starts must ascend from 0 to the sample count");
    }
  }
  if (mode_ == ShuffleMode::files && file_starts_.empty()) mode_ = ShuffleMode::global;
  if (mode_ == ShuffleMode::global) {
    for (unsigned e = 0; e < epochs; ++e)
      permutations_.emplace_back(samples_, epoch_seed(seed_, e));
    return;
  }
  if (mode_ != ShuffleMode::files) return;
  const auto files = static_cast<std::uint32_t>(file_starts_.size() - 1);
  file_order_.resize(epochs);
  position_starts_.resize(epochs);
  for (unsigned e = 0; e < epochs; ++e) {
    Permutation perm(files, epoch_seed(seed_, e));
    auto& order = file_order_[e];
    auto& starts = position_starts_[e];
    order.reserve(files);
    starts.reserve(files + 1);
    std::uint64_t at = 0;
    for (std::uint32_t k = 0; k < files; ++k) {
      const auto f = static_cast<std::uint32_t>(perm.at(k));
      order.push_back(f);
      starts.push_back(at);
      at += file_starts_[f + 1] - file_starts_[f];
    }
    starts.push_back(at);
  }
}

void EpochOrder::share(unsigned rank, unsigned ranks) {
  if (ranks == 0 || rank >= ranks) {
    throw std::invalid_argument("EpochOrder::share: rank must be below the number of ranks");
  }
  rank_ = rank;
  ranks_ = ranks;
}

std::uint32_t EpochOrder::file_at(unsigned epoch, std::uint32_t k) const {
  if (mode_ == ShuffleMode::files) return file_order_.at(epoch).at(k);
  return k;
}

std::uint64_t EpochOrder::at(unsigned epoch, std::uint64_t position) const {
  if (position >= samples_) throw std::out_of_range("EpochOrder::at: position past the epoch");
  switch (mode_) {
    case ShuffleMode::none:
      return position;
    case ShuffleMode::global:
      return permutations_.at(epoch).at(position);
    case ShuffleMode::files:
      break;
  }
  const auto& starts = position_starts_.at(epoch);
  // The last file whose start is <= position (empty files share a start; upper_bound skips them).
  const auto k = static_cast<std::size_t>(
      std::upper_bound(starts.begin(), starts.end() - 1, position) - starts.begin() - 1);
  const std::uint32_t f = file_order_[epoch][k];
  return file_starts_[f] + (position - starts[k]);
}

}  // namespace aistor
