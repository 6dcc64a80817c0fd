// rank_rows: a thread workload's per-rank rows under mpirun and the tails across them.
#include "workloads/runner/rank_rows.hpp"

#include <gtest/gtest.h>

namespace aistor {
namespace {

ClientResult rank_result(int rank, const std::string& host, std::uint64_t first_ns,
                         std::uint64_t last_ns, std::uint64_t bytes) {
  ClientResult c;
  c.index = static_cast<unsigned>(rank);
  c.rank = rank;
  c.pid = 100 + rank;
  c.host = host;
  c.released_ns = 1'000'000'000;
  c.first_submit_ns = first_ns;
  c.last_done_ns = last_ns;
  c.bytes = bytes;
  c.ops = bytes / 4096;
  c.storage_read_bytes = bytes / 2;
  c.storage_write_bytes = 0;
  c.metrics = {{"samples", rank}};
  return c;
}

}  // namespace

TEST(RankRows, RowsPerRankTailsAndTheSlowestByHostAndRank) {
  ClientRun run;
  run.start_ns = 1'000'000'000;  // the release, on rank 0's clock
  run.clients.push_back(rank_result(0, "a", 1'100'000'000, 2'000'000'000, 4 << 20));
  run.clients.push_back(rank_result(1, "a", 1'100'000'000, 3'000'000'000, 8 << 20));
  run.clients.push_back(rank_result(2, "b", 1'200'000'000, 5'000'000'000, 8 << 20));
  auto failed = rank_result(3, "b", 0, 0, 0);
  failed.error = "rank 3: sent no result";
  run.clients.push_back(failed);
  auto io = rank_result(4, "b", 1'100'000'000, 1'500'000'000, 4096);
  io.io_failed_workers = 2;
  run.clients.push_back(io);
  const auto j = rank_rows(run);
  EXPECT_EQ(j["ranks"], 5);
  EXPECT_EQ(j["completed"], 3);
  EXPECT_DOUBLE_EQ(j["first_done_s"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["last_done_s"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["straggler_ratio"].get<double>(), 2.0);  // 4 s over the median 2 s
  EXPECT_EQ(j["slowest"], (nlohmann::json{{"rank", 2}, {"host", "b"}, {"finish_s", 4.0}}));
  ASSERT_EQ(j["hosts"].size(), 2u);
  EXPECT_EQ(j["hosts"][0]["host"], "a");
  EXPECT_EQ(j["hosts"][0]["clients"], 2);
  EXPECT_EQ(j["hosts"][1]["clients"], 1);  // the failed rank has no finish
  ASSERT_EQ(j["rows"].size(), 5u);
  EXPECT_EQ(j["rows"][4]["status"], "failed");
  EXPECT_EQ(j["rows"][4]["error"], "rank 4: 2 of its workers ended on an I/O error (errors.first)");
  const auto& r1 = j["rows"][1];
  EXPECT_EQ(r1["rank"], 1);
  EXPECT_EQ(r1["pid"], 101);
  EXPECT_EQ(r1["status"], "ok");
  EXPECT_DOUBLE_EQ(r1["first_submit_s"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(r1["finish_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(r1["bytes_per_s"].get<double>(), static_cast<double>(8 << 20) / 1.9);
  EXPECT_EQ(r1["storage_read_bytes"], 4 << 20);
  EXPECT_EQ(r1["workload_metrics"]["samples"], 1);
  const auto& r3 = j["rows"][3];
  EXPECT_EQ(r3["status"], "failed");
  EXPECT_EQ(r3["error"], "rank 3: sent no result");
  EXPECT_TRUE(r3["finish_s"].is_null());
}

}  // namespace aistor
