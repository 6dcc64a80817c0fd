#include "report/table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aistor {

TEST(SummaryTable, OneRowPerPhaseAlignedWithTheRepeatSummaryBelow) {
  nlohmann::json report = nlohmann::json::parse(R"({
    "phases": [
      {"name": "seq", "engine": {"name": "io_uring", "queue_depth": 32, "direct": true},
       "io_pattern": {"summary": "r=128K seq"}, "bytes_per_s": 1.5e9, "iops": 11444,
       "latency_ns": {"p50": 2500000, "p99": 4100000}, "cache": {"resident_fraction_before": 0},
       "verdict": {"source": "mixed", "device_share": 0.4, "saturated": true, "bound": "device"},
       "status": "ok"},
      {"name": "bad", "engine": {"name": "odirect"}, "status": "failed",
       "error": "open x: Invalid argument"}],
    "repetitions": [{"name": "seq", "repetitions": 3, "ok": 3,
       "bytes_per_s": {"median": 1.5e9, "min": 1.4e9, "max": 1.6e9},
       "iops": {"median": 11444, "min": 1, "max": 2},
       "p50_ns": {"median": 1, "min": 1, "max": 1},
       "p99_ns": {"median": 4100000, "min": 1, "max": 1}}]})");
  EXPECT_EQ(
      summary_table(report),
      "phase  engine                pattern       MB/s   IOPS      p50      p99  resident  "
      "from            bound   status\n" +
          std::string(140, '-') +
          "\n"
          "seq    io_uring+direct qd32  r=128K seq  1500.0  11444  2.50 ms  4.10 ms  0%        "
          "mixed 40% +sat  device  ok\n"
          "bad    odirect                                                                      "
          "                        failed: open x: Invalid argument\n"
          "\n"
          "repeated phase  ok   median MB/s   min-max MB/s  median IOPS  median p99\n"
          "------------------------------------------------------------------------\n"
          "seq             3/3       1500.0  1400.0-1600.0        11444     4.10 ms\n");
}

TEST(SummaryTable, SamplesPhasesAddATrainingTable) {
  nlohmann::json report = nlohmann::json::parse(R"({
    "phases": [
      {"name": "train", "workload": "samples", "engine": {"name": "pread"},
       "io_pattern": {"summary": "r=5K rand"}, "bytes_per_s": 2.5e8, "iops": 50000,
       "latency_ns": {"p50": 20000, "p99": 40000}, "cache": {"resident_fraction_before": 1},
       "status": "ok", "read_amplification": 1.25,
       "workload_metrics": {"samples": 100000, "epochs": [{}, {}], "epochs_planned": 2,
         "samples_per_s": 49999.6, "delivered_bytes_per_s": 2.5e8, "au": 0.9731,
         "stall_s": 0.5, "verified_samples": null}}]})");
  const std::string table = summary_table(report);
  EXPECT_NE(table.find("training phase  epochs  samples/s  delivered MB/s     AU  stall s  "
                       "read ampl.  verified\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("train              2/2      50000           250.0  97.3%     0.50        "
                       "1.25         -\n"),
            std::string::npos)
      << table;
}

}  // namespace aistor
