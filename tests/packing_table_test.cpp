#include "report/packing_table.hpp"

#include <gtest/gtest.h>

namespace aistor {
namespace {

nlohmann::json pack_phase(const std::string& path, const char* target, double elapsed,
                          double throughput) {
  nlohmann::json w{{"read_only", target == nullptr},
                   {"elapsed_s", elapsed},
                   {"throughput_bytes_per_s", throughput},
                   {"source",
                    {{"path", path},
                     {"format", "arrow"},
                     {"dataset", {{"preset", "openwebtext"}, {"scale", 0.02}}}}}};
  if (target != nullptr) {
    w["target"] = {{"format", target}};
    w["write_engine"] = {{"name", "io_uring"}, {"queue_depth", 8}};
  }
  return {{"workload", "pack"},
          {"status", "ok"},
          {"bytes_per_s", 2 * throughput},
          {"engine", {{"name", "pread"}}},
          {"io_pattern", {{"summary", target ? "r=128K seq, w=1M seq" : "r=128K seq"}}},
          {"workload_metrics", w}};
}

nlohmann::json raw_phase(bool reads, double bytes_per_s, double seq = 1.0) {
  nlohmann::json used{{"ops", 10}, {"sequential_fraction", seq}};
  nlohmann::json idle{{"ops", 0}, {"sequential_fraction", 0.0}};
  return {{"workload", "raw"},
          {"status", "ok"},
          {"bytes_per_s", bytes_per_s},
          {"read", reads ? used : idle},
          {"write", reads ? idle : used}};
}

}  // namespace

TEST(PackingTable, SeedColumnsWithTheReadOnlyPassOfTheSameSource) {
  nlohmann::json report{
      {"phases",
       {pack_phase("/d/owt", nullptr, 2.5, 4e8), pack_phase("/d/owt", "tfrecord", 3.0, 6.67e8),
        pack_phase("/d/other", "ffrecord", 12.25, 1.01e9)}}};
  const auto tables = packing_tables({report});
  ASSERT_EQ(tables.size(), 2U);
  const auto& t = tables[0];
  ASSERT_EQ(t.rows.size(), 3U);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"dataset", "from", "to", "time", "throughput",
                                                 "read only", "I/O pattern"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"OpenWebText ×0.02", "Arrow", "TFRecord", "3.00 s",
                                                 "667 MB/s", "2.50 s",
                                                 "r=128K seq, w=1M seq (pread → io_uring qd8)"}));
  // No read-only pass over /d/other: its column stays empty.
  EXPECT_EQ(t.rows[2][3], "12 s");
  EXPECT_EQ(t.rows[2][4], "1.01 GB/s");
  EXPECT_EQ(t.rows[2][5], "");
  EXPECT_TRUE(tables[1].empty());  // no raw phases: nothing to measure against
}

TEST(PackingTable, PackingAgainstTheFastestSequentialRawReadAndWrite) {
  nlohmann::json report{{"phases",
                         {raw_phase(true, 1.2e9), raw_phase(true, 2.0e9, 0.5),  // not sequential
                          raw_phase(false, 8e8), pack_phase("/d/owt", "tfrecord", 3.0, 6.67e8),
                          pack_phase("/d/owt", "ffrecord", 3.0, 6.0e8)}}};
  const auto tables = packing_tables({report});
  const auto& d = tables[1];
  ASSERT_EQ(d.rows.size(), 3U);
  EXPECT_EQ(d.rows[1], (std::vector<std::string>{"OpenWebText ×0.02", "Arrow", "TFRecord",
                                                 "667 MB/s", "1.33 GB/s", "1.20 GB/s", "800 MB/s",
                                                 "", "0.83", "", "met"}));
  EXPECT_EQ(d.rows[2][8], "0.75");
  EXPECT_EQ(d.rows[2][10], "missed");
}

nlohmann::json mixed_phase(double read_bytes, double write_bytes, double bytes_per_s) {
  return {{"workload", "raw"},
          {"status", "ok"},
          {"bytes_per_s", bytes_per_s},
          {"read", {{"ops", 10}, {"bytes", read_bytes}, {"sequential_fraction", 0.5}}},
          {"write", {{"ops", 10}, {"bytes", write_bytes}, {"sequential_fraction", 0.5}}}};
}

// A 50/50 mix of reads and writes bounds a pack at half its rate; a lopsided mix says nothing of
// that and is left out, as it is of the one-way columns.
TEST(PackingTable, PackingAgainstHalfOfWhatTheDeviceCarriesBothWaysAtOnce) {
  nlohmann::json report{
      {"phases",
       {raw_phase(true, 1.2e9), raw_phase(false, 8e8), mixed_phase(2.1e9, 1.9e9, 1.0e9),
        mixed_phase(9e9, 1e9, 3.0e9), mixed_phase(1e9, 1e9, 1.2e9),
        pack_phase("/d/owt", "tfrecord", 3.0, 5.1e8)}}};
  const auto tables = packing_tables({report});
  const auto& d = tables[1];
  ASSERT_EQ(d.rows.size(), 2U);
  EXPECT_EQ(d.rows[1][3], "510 MB/s");
  EXPECT_EQ(d.rows[1][5], "1.20 GB/s");  // the mixed phases are not one-way figures
  EXPECT_EQ(d.rows[1][6], "800 MB/s");
  EXPECT_EQ(d.rows[1][7], "1.20 GB/s");
  EXPECT_EQ(d.rows[1][8], "0.64");
  EXPECT_EQ(d.rows[1][9], "0.85");
  EXPECT_EQ(d.rows[1][10], "missed");
}

TEST(PackingTable, FailedPhasesAndOtherWorkloadsAreLeftOut) {
  auto failed = pack_phase("/d/owt", "tfrecord", 3.0, 6.67e8);
  failed["status"] = "failed";
  nlohmann::json report{{"phases", {failed, raw_phase(true, 1e9)}}};
  EXPECT_TRUE(packing_tables({report})[0].empty());
  EXPECT_TRUE(packing_tables({nlohmann::json::object()})[0].empty());
}

}  // namespace aistor
