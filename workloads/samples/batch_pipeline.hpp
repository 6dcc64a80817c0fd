#pragma once
// The hand-off between reader threads and simulated accelerators in the samples workload, with
// the rules a training input pipeline has:
//  - an epoch is `batches_per_epoch` batches of consecutive positions in that epoch's order;
//  - readers claim batches in order, at most `prefetch` ahead of what the accelerators have taken
//    (PyTorch's prefetch_factor x num_workers, DLIO's prefetch_size);
//  - accelerators take batches in claim order (DataLoader delivers in order), so a slow batch
//    holds back the ones behind it;
//  - epochs do not overlap: batches of epoch e+1 are claimed only after every batch of epoch e
//    has been consumed (DLIO and a non-persistent DataLoader both restart the pipeline).
// Every batch of every epoch is claimed exactly once. Thread-safe. Waits wake every 20 ms to
// look at the stop flag; abort() wakes them at once.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace aistor {

struct BatchTicket {
  std::uint64_t seq = 0;  // batch number over the whole run
  unsigned epoch = 0;
  std::uint64_t batch = 0;  // within the epoch
  std::uint64_t first = 0;  // first position in the epoch's order
  std::uint32_t count = 0;  // samples
};

struct PipelineShape {
  std::uint64_t samples = 0;
  std::uint32_t batch_size = 1;
  bool drop_last = false;  // leave out a last, partial batch (needs samples >= batch_size)
  unsigned epochs = 1;
  unsigned prefetch = 1;  // batches claimed and not yet taken, at most
};

class BatchPipeline {
 public:
  // Called under the pipeline's lock, by whichever thread starts or ends an epoch; nothing else
  // moves meanwhile (the epoch barrier). epoch_begins(0) runs at the first claim or take.
  using EpochHook = std::function<void(unsigned epoch)>;

  // Throws std::invalid_argument for a zero batch size, prefetch or epoch count.
  BatchPipeline(const PipelineShape& shape, EpochHook epoch_begins, EpochHook epoch_ends);

  [[nodiscard]] std::uint64_t batches_per_epoch() const noexcept { return per_epoch_; }
  [[nodiscard]] std::uint64_t total_batches() const noexcept { return total_; }

  // Readers. try_claim never blocks: nullopt when no batch may be claimed now.
  [[nodiscard]] std::optional<BatchTicket> try_claim();
  // Blocks until a claim may succeed (true) or none ever will: all claimed, stopped, aborted.
  [[nodiscard]] bool wait_for_claim(const std::atomic<bool>& stop);
  // Every sample of batch `seq` has been delivered.
  void loaded(std::uint64_t seq);

  // Accelerators. The next batch in order once it is loaded; nullopt when every batch has been
  // taken, or on stop or abort.
  [[nodiscard]] std::optional<BatchTicket> take(const std::atomic<bool>& stop);
  // The accelerator is done with `ticket` (its compute finished).
  void consumed(const BatchTicket& ticket);

  // Readers that stream whole files (compressed datasets) work an epoch at a time: true once
  // `epoch` is the one being read (at once when it already is), false on stop or abort.
  [[nodiscard]] bool wait_for_epoch(unsigned epoch, const std::atomic<bool>& stop);
  // Claims the next batch, waiting while the prefetch bound is reached; nullopt on stop or abort
  // (or when every batch is claimed).
  [[nodiscard]] std::optional<BatchTicket> claim(const std::atomic<bool>& stop);

  // Ends the run for everyone (a reader failed).
  void abort();
  [[nodiscard]] bool aborted() const;

 private:
  [[nodiscard]] BatchTicket ticket_of(std::uint64_t seq) const noexcept;
  [[nodiscard]] bool claimable() const noexcept;  // lock held
  void start_locked();

  PipelineShape shape_;
  std::uint64_t per_epoch_ = 0;
  std::uint64_t total_ = 0;
  EpochHook epoch_begins_;
  EpochHook epoch_ends_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool aborted_ = false;
  unsigned epoch_ = 0;            // the epoch being read
  std::uint64_t next_claim_ = 0;  // seq
  std::uint64_t next_take_ = 0;   // seq
  std::uint64_t consumed_in_epoch_ = 0;
  std::vector<char> ready_;  // ring over seq % prefetch: loaded, not yet taken
};

}  // namespace aistor
