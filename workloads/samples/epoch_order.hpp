#pragma once
// The order in which one epoch visits a dataset's samples, as training input pipelines shuffle.
//
//   global  a seeded permutation of all samples, a new one each epoch (PyTorch's
//           DataLoader(shuffle=True), DLIO's sample shuffle)
//   files   the files in a new seeded order each epoch, each file's samples in file order
//           (tf.data: list_files(shuffle=True) then sequential records; its shuffle buffer reorders
//           samples after they are read, so it does not change the I/O and is not modelled)
//   none    sample 0, 1, 2, ... every epoch (validation and test passes)
//
// at(epoch, position) is a pure function: thread-safe, O(1) memory for global and none, O(files)
// per epoch for files. Every epoch visits every sample exactly once.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/permutation.hpp"

namespace aistor {

enum class ShuffleMode : std::uint8_t { global, files, none };

[[nodiscard]] std::optional<ShuffleMode> parse_shuffle(std::string_view name) noexcept;
[[nodiscard]] const char* to_string(ShuffleMode mode) noexcept;

class EpochOrder {
 public:
  // `file_starts` holds the first sample of each file in sample order and ends with `samples`
  // (files of contiguous samples, as record formats have); empty means one file per sample (raw
  // trees), where `files` is the same as `global`. Throws std::invalid_argument when it is not
  // ascending from 0 to `samples`.
  EpochOrder(ShuffleMode mode, std::uint64_t samples, std::vector<std::uint64_t> file_starts,
             std::uint64_t seed, unsigned epochs);

  [[nodiscard]] std::uint64_t samples() const noexcept { return samples_; }
  // Under mpirun rank `rank` of `ranks` visits positions rank, rank + ranks, ... of every
  // epoch's order (PyTorch's DistributedSampler, without its padding): the ranks together visit
  // every sample once per epoch. Throws std::invalid_argument when rank >= ranks.
  void share(unsigned rank, unsigned ranks);
  // How many positions of an epoch this rank visits, and the sample at its `k`-th.
  [[nodiscard]] std::uint64_t share_samples() const noexcept {
    return samples_ > rank_ ? (samples_ - rank_ + ranks_ - 1) / ranks_ : 0;
  }
  [[nodiscard]] std::uint64_t share_at(unsigned epoch, std::uint64_t k) const {
    return at(epoch, k * ranks_ + rank_);
  }
  // The sample visited at `position` (< samples()) of `epoch` (< epochs).
  [[nodiscard]] std::uint64_t at(unsigned epoch, std::uint64_t position) const;
  // The file visited `k`-th in `epoch` (files and none modes; k < the number of files).
  [[nodiscard]] std::uint32_t file_at(unsigned epoch, std::uint32_t k) const;

 private:
  ShuffleMode mode_;
  std::uint64_t samples_;
  std::uint64_t seed_;
  std::uint64_t rank_ = 0;
  std::uint64_t ranks_ = 1;
  std::vector<std::uint64_t> file_starts_;
  std::vector<Permutation> permutations_;  // global mode, per epoch
  // files mode, per epoch: the files in visiting order and where each starts in that order.
  std::vector<std::vector<std::uint32_t>> file_order_;
  std::vector<std::vector<std::uint64_t>> position_starts_;
};

}  // namespace aistor
