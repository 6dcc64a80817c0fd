#pragma once
// The reads of one reader thread of the samples workload: the samples of the batches it claims
// from the pipeline, in order, each through one request (aligned around the sample when the
// engine is direct; raw samples opened and closed around their read). completed() checks that
// the whole sample arrived, verifies it when asked, counts it, and hands a batch to the pipeline
// once all of its samples are in. A failure (a short sample, a wrong one) stops new requests and
// is kept for the reader to report. On a GPU engine the samples land in GPU memory and are
// never touched by the CPU, except that `verify` copies each one back to check it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/recorder.hpp"
#include "engines/pump.hpp"
#include "workloads/formats/dataset_index.hpp"
#include "workloads/samples/batch_pipeline.hpp"
#include "workloads/samples/epoch_order.hpp"
#include "workloads/samples/samples_tallies.hpp"

namespace aistor {

class SampleSource final : public RequestSource {
 public:
  struct Context {
    BatchPipeline& pipeline;
    const EpochOrder& order;
    const formats::DatasetIndex& index;
    Engine& engine;
    Recorder& recorder;
    const std::vector<FileId>& files;  // record formats: FileId per dataset file; empty for raw
    std::uint32_t alignment;
    std::optional<std::uint64_t> verify_seed;
    SamplesWorkload::ReaderTally& tally;
  };

  explicit SampleSource(Context c)
      : c_(c), arrow_(c.index.spec() && c.index.spec()->format == formats::DatasetFormat::arrow) {}

  bool next(IoRequest& r) override;
  void completed(const IoRequest& r, std::int64_t res) override;

  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

 private:
  struct InFlight {
    std::uint64_t sample;
    std::uint64_t seq;
    unsigned epoch;
    std::uint32_t head;  // sample's first byte within the request
    std::uint32_t length;
    FileId opened;  // raw samples: the file to close when the read is done
  };
  struct OpenBatch {
    std::uint64_t seq;
    std::uint32_t left;
  };

  std::uint64_t slot_for(const InFlight& f);
  void fail(std::string what);

  Context c_;
  bool arrow_;  // an Arrow dataset: its text samples are checked against their regeneration
  std::optional<BatchTicket> batch_;
  std::uint32_t position_ = 0;
  bool has_next_ = false;  // next_sample_ is the batch's sample at position_
  std::uint64_t next_sample_ = 0;
  std::vector<OpenBatch> open_batches_;
  std::vector<InFlight> slots_;
  std::vector<std::uint32_t> free_;
  bool failed_ = false;
  std::string failure_;
  std::vector<std::byte> on_host_;  // verify on a GPU engine: the sample copied back
};

}  // namespace aistor
