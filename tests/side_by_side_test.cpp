#include "report/side_by_side.hpp"

#include <gtest/gtest.h>

namespace aistor {
namespace {

nlohmann::json run_on(const std::string& device, const std::string& fs, double mb_per_s) {
  auto phase = [&](const char* name, double rate, double p99) {
    return nlohmann::json{{"name", name},
                          {"status", "ok"},
                          {"bytes_per_s", rate * 1e6},
                          {"latency_ns", {{"p99", p99}}}};
  };
  return {{"targets", {{{"device", device}, {"filesystem", fs}, {"model", "nvme"}}}},
          {"phases",
           {phase("seq", mb_per_s, 2e6), phase("seq", mb_per_s * 3, 4e6),
            phase("seq", mb_per_s * 2, 1e6), phase("rand", mb_per_s / 10, 5e5)}}};
}

TEST(SideBySide, OneRowPerPhaseWithMediansAndTheRatioToTheFirstTarget) {
  const auto t =
      side_by_side_table({run_on("nvme0n1", "ext4", 100), run_on("nvme1n1", "ext4", 50)});
  ASSERT_EQ(t.rows.size(), 3U);
  EXPECT_EQ(t.rows[0],
            (std::vector<std::string>{"phase", "nvme0n1 MB/s", "nvme1n1 MB/s", "nvme1n1 / nvme0n1",
                                      "nvme0n1 p99", "nvme1n1 p99"}));
  EXPECT_EQ(t.rows[1],
            (std::vector<std::string>{"seq", "200.0", "100.0", "0.50x", "2.00 ms", "2.00 ms"}));
  EXPECT_EQ(t.rows[2],
            (std::vector<std::string>{"rand", "10.0", "5.0", "0.50x", "500.0 us", "500.0 us"}));
}

TEST(SideBySide, LabelsNameEveryFieldThatDiffers) {
  EXPECT_EQ(target_labels({run_on("sda", "ext4", 1), run_on("sdb", "xfs", 1)}),
            (std::vector<std::string>{"sda ext4", "sdb xfs"}));
}

TEST(SideBySide, RunsOnOneTargetHaveNoSideBySide) {
  EXPECT_TRUE(side_by_side_table({run_on("sda", "ext4", 1), run_on("sda", "ext4", 2)}).empty());
  EXPECT_TRUE(side_by_side_table({run_on("sda", "ext4", 1)}).empty());
}

TEST(SideBySide, APhaseOnlyOneRunHadShowsADash) {
  auto b = run_on("sdb", "ext4", 50);
  b["phases"].erase(b["phases"].size() - 1);
  const auto t = side_by_side_table({run_on("sda", "ext4", 100), b});
  EXPECT_EQ(t.rows[2], (std::vector<std::string>{"rand", "10.0", "-", "-", "500.0 us", "-"}));
}

}  // namespace
}  // namespace aistor
