#pragma once
// What the samples workload's threads count while a phase runs (each writes only its own tally;
// summarize() reads them after the workers have joined) and what each epoch's hooks record.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/histogram.hpp"
#include "core/page_cache.hpp"
#include "workloads/samples/samples_workload.hpp"

namespace aistor {

struct SamplesWorkload::ReaderTally {
  explicit ReaderTally(unsigned epochs) : samples(epochs, 0), bytes(epochs, 0) {}
  std::vector<std::uint64_t> samples;  // delivered, per epoch
  std::vector<std::uint64_t> bytes;    // delivered payload bytes, per epoch
  std::uint64_t verified = 0;
  std::uint32_t alignment = 1;
  std::uint64_t inflate_cpu_ns = 0;
  bool ready = false;         // alignment probed and record files opened (before_start)
  std::vector<FileId> files;  // record formats: the reader's engine's FileId per dataset file
};

struct SamplesWorkload::AcceleratorTally {
  explicit AcceleratorTally(unsigned epochs)
      : steps(epochs, 0), wait_ns(epochs, 0), compute_ns(epochs, 0) {}
  // Per epoch, every step but the accelerator's very first (its wait is the pipeline's fill).
  std::vector<std::uint64_t> steps;
  std::vector<std::uint64_t> wait_ns;
  std::vector<std::uint64_t> compute_ns;
  LatencyHistogram waits;
  std::uint64_t first_wait_ns = 0;
  std::uint64_t all_steps = 0;
};

struct SamplesWorkload::EpochRow {
  std::uint64_t begin_ns = 0;
  std::uint64_t end_ns = 0;
  std::optional<ProcIo> io_begin;
  std::optional<ProcIo> io_end;
  std::optional<Residency> residency;
};

}  // namespace aistor
