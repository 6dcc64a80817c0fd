#include "workloads/samples/sample_source.hpp"

#include <fmt/format.h>

#include "core/align.hpp"
#include "workloads/formats/arrow_dataset.hpp"
#include "workloads/formats/sample_content.hpp"

namespace aistor {
namespace {

constexpr FileId kNoFile = UINT32_MAX;

}  // namespace

bool SampleSource::next(IoRequest& r) {
  if (failed_) return false;
  if (!batch_ || position_ == batch_->count) {
    batch_ = c_.pipeline.try_claim();
    if (!batch_) return false;
    position_ = 0;
    has_next_ = false;
    open_batches_.push_back({batch_->seq, batch_->count});
  }
  const std::uint64_t sample =
      has_next_ ? next_sample_ : c_.order.share_at(batch_->epoch, batch_->first + position_);
  ++position_;
  has_next_ = position_ < batch_->count;
  if (has_next_) {
    // Shuffled samples' index entries are cache misses: fetch the next one's while this one reads.
    next_sample_ = c_.order.share_at(batch_->epoch, batch_->first + position_);
    __builtin_prefetch(&c_.index.at(next_sample_));
  }
  const formats::SampleRef& ref = c_.index.at(sample);
  FileId file = kNoFile;
  if (c_.files.empty()) {
    const auto path = c_.index.path_of(ref);
    file = c_.engine.open(path, Access::read);
    c_.recorder.name_file(file, path.string());
  } else {
    file = c_.files[ref.file];
  }
  const std::uint64_t start = align_down(ref.offset, c_.alignment);
  const std::uint64_t end = align_up(ref.offset + ref.length, c_.alignment);
  r.op = Op::read;
  r.file = file;
  r.offset = start;
  r.length = static_cast<std::uint32_t>(end - start);
  r.to_eof = c_.alignment > 1;  // the aligned end of a file's last sample lies past its end
  r.tag =
      slot_for({sample, batch_->seq, batch_->epoch, static_cast<std::uint32_t>(ref.offset - start),
                ref.length, c_.files.empty() ? file : kNoFile});
  return true;
}

void SampleSource::completed(const IoRequest& r, std::int64_t res) {
  const InFlight f = slots_[r.tag];
  free_.push_back(static_cast<std::uint32_t>(r.tag));
  if (f.opened != kNoFile) c_.engine.close(f.opened);
  if (res >= 0) {
    const auto got = static_cast<std::uint64_t>(res);
    if (got < std::uint64_t{f.head} + f.length) {
      fail(fmt::format("sample {}: {} ends at offset {}, inside the sample ({} bytes at {})",
                       f.sample, c_.index.path_of(c_.index.at(f.sample)).string(), r.offset + got,
                       f.length, r.offset + f.head));
    } else {
      std::span<const std::byte> data(r.buf + f.head, f.length);
      if (c_.verify_seed && c_.engine.device_memory()) {
        // The sample is in GPU memory: checked on a copy (verify is a correctness run).
        on_host_.resize(f.length);
        c_.engine.download(on_host_, r.buf + f.head);
        data = on_host_;
      }
      if (c_.verify_seed) {
        const auto wrong = arrow_ ? formats::check_arrow_sample(*c_.index.spec(), data, f.sample)
                                  : formats::check_sample(data, f.sample, *c_.verify_seed);
        if (wrong) {
          const auto& ref = c_.index.at(f.sample);
          fail(fmt::format("sample {}: {} at offset {}: {}", f.sample,
                           c_.index.path_of(ref).string(), ref.offset, *wrong));
        } else {
          ++c_.tally.verified;
        }
      }
      ++c_.tally.samples[f.epoch];
      c_.tally.bytes[f.epoch] += f.length;
    }
  }
  // A failed read (the recorder counts it) still completes its batch, so a phase that
  // continues on errors keeps going.
  for (auto it = open_batches_.begin(); it != open_batches_.end(); ++it) {
    if (it->seq != f.seq) continue;
    if (--it->left == 0) {
      c_.pipeline.loaded(it->seq);
      open_batches_.erase(it);
    }
    break;
  }
}

std::uint64_t SampleSource::slot_for(const InFlight& f) {
  if (free_.empty()) {
    slots_.push_back(f);
    return slots_.size() - 1;
  }
  const std::uint32_t s = free_.back();
  free_.pop_back();
  slots_[s] = f;
  return s;
}

void SampleSource::fail(std::string what) {
  if (failed_) return;
  failed_ = true;
  failure_ = std::move(what);
}

}  // namespace aistor
