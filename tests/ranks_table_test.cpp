#include "report/ranks_table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aistor {
namespace {

const char* kReport = R"({
  "phases": [
    {"name": "read", "workload": "raw", "status": "failed", "error": "rank 1: EIO",
     "bytes_per_s": 2.5e9,
     "across_ranks": {"ranks": 2, "completed": 1, "first_done_s": 0.5, "last_done_s": 0.5,
       "straggler_ratio": 1.0, "slowest": {"rank": 0, "host": "node1", "finish_s": 0.5},
       "hosts": [],
       "rows": [
         {"rank": 0, "host": "node1", "status": "ok", "finish_s": 0.5, "bytes_per_s": 2.0e9,
          "bytes": 1073741824},
         {"rank": 1, "host": "node2", "status": "failed", "error": "rank 1: EIO",
          "finish_s": null, "bytes_per_s": 0, "bytes": 1048576}]}},
    {"name": "storm", "workload": "storm", "status": "ok"}]})";

}  // namespace

TEST(RanksTable, ARowPerPhaseAcrossRanksAndOnePerRank) {
  const auto report = nlohmann::json::parse(kReport);
  const std::string text = ranks_table({report}, true);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "phase  workload  ranks  completed  GB/s  first-done s  last-done s  straggler  "
            "slowest          status");
  EXPECT_NE(text.find("read   raw           2          1  2.50         0.500        0.500       "
                      "1.00  rank 0 on node1  failed: rank 1: EIO\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  rank 0  node1     0.500  2.00  1.00 GiB  ok\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  rank 1  node2         -  0.00  1.00 MiB  failed: rank 1: EIO\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("storm"), std::string::npos) << text;  // storms have their own table
  // Without per_rank: the phase rows only.
  EXPECT_EQ(ranks_table({report}, false).find("node2"), std::string::npos);
}

TEST(RanksTable, NothingWithoutPhasesAcrossRanks) {
  EXPECT_EQ(ranks_table({nlohmann::json::parse(R"({"phases": [{"name": "x"}]})")}, true), "");
}

}  // namespace aistor
