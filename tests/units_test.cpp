#include "core/units.hpp"

#include <gtest/gtest.h>

namespace aistor {

TEST(Units, SizesBinaryAndDecimal) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("128K"), 131072u);
  EXPECT_EQ(parse_size("1MiB"), 1048576u);
  EXPECT_EQ(parse_size("2GiB"), 2147483648u);
  EXPECT_EQ(parse_size("4.7GB"), 4700000000u);
  EXPECT_EQ(parse_size("1.5KiB"), 1536u);
  EXPECT_EQ(parse_size("10 MB"), 10000000u);
  EXPECT_EQ(parse_size("1TiB"), 1099511627776u);
}

TEST(Units, SizesRejectGarbage) {
  EXPECT_FALSE(parse_size("12XB"));
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("-4K"));
  EXPECT_FALSE(parse_size("K"));
  EXPECT_FALSE(parse_size("1.2.3K"));
  EXPECT_FALSE(parse_size("4 K B"));
}

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration_ns("250us"), 250000u);
  EXPECT_EQ(parse_duration_ns("10ms"), 10000000u);
  EXPECT_EQ(parse_duration_ns("1.5s"), 1500000000u);
  EXPECT_EQ(parse_duration_ns("2m"), 120000000000u);
  EXPECT_EQ(parse_duration_ns("1h"), 3600000000000u);
  EXPECT_EQ(parse_duration_ns("3"), 3000000000u);
  EXPECT_EQ(parse_duration_ns("7ns"), 7u);
  EXPECT_FALSE(parse_duration_ns("10 parsecs"));
  EXPECT_FALSE(parse_duration_ns("s"));
}

TEST(Units, ShortSizesNameThePattern) {
  EXPECT_EQ(short_size(4096), "4K");
  EXPECT_EQ(short_size(131072), "128K");
  EXPECT_EQ(short_size(1048576), "1M");
  EXPECT_EQ(short_size(512), "512");
  EXPECT_EQ(short_size(1536), "1.5K");
  EXPECT_EQ(human_ns(1500), "1.5 us");
  EXPECT_EQ(human_bytes(1024.0 * 1024 * 3), "3.00 MiB");
}

}  // namespace aistor
