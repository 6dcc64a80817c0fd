#include "workloads/samples/batch_pipeline.hpp"

#include <chrono>
#include <stdexcept>

namespace aistor {

namespace {
constexpr auto kPoll = std::chrono::milliseconds(20);
}

BatchPipeline::BatchPipeline(const PipelineShape& shape, EpochHook epoch_begins,
                             EpochHook epoch_ends)
    : shape_(shape), epoch_begins_(std::move(epoch_begins)), epoch_ends_(std::move(epoch_ends)) {
  if (shape_.batch_size == 0 || shape_.prefetch == 0 || shape_.epochs == 0) {
    throw std::invalid_argument("BatchPipeline: batch size, prefetch and epochs must be positive");
  }
  per_epoch_ = shape_.drop_last ? shape_.samples / shape_.batch_size
                                : (shape_.samples + shape_.batch_size - 1) / shape_.batch_size;
  total_ = per_epoch_ * shape_.epochs;
  ready_.assign(shape_.prefetch, 0);
}

BatchTicket BatchPipeline::ticket_of(std::uint64_t seq) const noexcept {
  BatchTicket t;
  t.seq = seq;
  t.epoch = static_cast<unsigned>(seq / per_epoch_);
  t.batch = seq % per_epoch_;
  t.first = t.batch * shape_.batch_size;
  const std::uint64_t left = shape_.samples - t.first;
  t.count = static_cast<std::uint32_t>(left < shape_.batch_size ? left : shape_.batch_size);
  return t;
}

void BatchPipeline::start_locked() {
  if (started_) return;
  started_ = true;
  if (epoch_begins_ && total_ > 0) epoch_begins_(0);
}

bool BatchPipeline::claimable() const noexcept {
  return !aborted_ && next_claim_ < total_ && next_claim_ - next_take_ < shape_.prefetch &&
         next_claim_ / per_epoch_ == epoch_;
}

std::optional<BatchTicket> BatchPipeline::try_claim() {
  std::lock_guard lock(mu_);
  start_locked();
  if (!claimable()) return std::nullopt;
  return ticket_of(next_claim_++);
}

bool BatchPipeline::wait_for_claim(const std::atomic<bool>& stop) {
  std::unique_lock lock(mu_);
  start_locked();
  for (;;) {
    if (aborted_ || next_claim_ >= total_ || stop.load(std::memory_order_relaxed)) return false;
    if (claimable()) return true;
    cv_.wait_for(lock, kPoll);
  }
}

void BatchPipeline::loaded(std::uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    ready_[seq % shape_.prefetch] = 1;
  }
  cv_.notify_all();
}

std::optional<BatchTicket> BatchPipeline::take(const std::atomic<bool>& stop) {
  std::unique_lock lock(mu_);
  start_locked();
  for (;;) {
    if (aborted_ || next_take_ >= total_ || stop.load(std::memory_order_relaxed)) {
      return std::nullopt;
    }
    if (next_take_ < next_claim_ && ready_[next_take_ % shape_.prefetch] != 0) {
      ready_[next_take_ % shape_.prefetch] = 0;
      BatchTicket t = ticket_of(next_take_++);
      lock.unlock();
      cv_.notify_all();  // a prefetch slot is free
      return t;
    }
    cv_.wait_for(lock, kPoll);
  }
}

void BatchPipeline::consumed(const BatchTicket& ticket) {
  {
    std::lock_guard lock(mu_);
    if (ticket.epoch != epoch_) return;  // cannot happen: takes never cross the barrier
    if (++consumed_in_epoch_ < per_epoch_) return;
    if (epoch_ends_) epoch_ends_(epoch_);
    consumed_in_epoch_ = 0;
    if (epoch_ + 1 < shape_.epochs) {
      ++epoch_;
      if (epoch_begins_) epoch_begins_(epoch_);
    }
  }
  cv_.notify_all();
}

bool BatchPipeline::wait_for_epoch(unsigned epoch, const std::atomic<bool>& stop) {
  std::unique_lock lock(mu_);
  start_locked();
  for (;;) {
    if (aborted_ || stop.load(std::memory_order_relaxed)) return false;
    if (epoch_ >= epoch) return true;
    cv_.wait_for(lock, kPoll);
  }
}

std::optional<BatchTicket> BatchPipeline::claim(const std::atomic<bool>& stop) {
  for (;;) {
    if (auto t = try_claim()) return t;
    if (!wait_for_claim(stop)) return std::nullopt;
  }
}

void BatchPipeline::abort() {
  {
    std::lock_guard lock(mu_);
    aborted_ = true;
  }
  cv_.notify_all();
}

bool BatchPipeline::aborted() const {
  std::lock_guard lock(mu_);
  return aborted_;
}

}  // namespace aistor
