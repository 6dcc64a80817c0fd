#include "core/permutation.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace aistor {

TEST(Permutation, VisitsEveryValueOnce) {
  for (std::uint64_t n : {1ull, 2ull, 3ull, 17ull, 1000ull, 65536ull, 100003ull}) {
    Permutation p(n, 99);
    std::vector<bool> seen(n, false);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto v = p.at(i);
      ASSERT_LT(v, n);
      ASSERT_FALSE(seen[v]) << "n=" << n << " value " << v << " twice";
      seen[v] = true;
    }
  }
}

TEST(Permutation, SeedChangesOrderAndIsNotIdentity) {
  Permutation a(4096, 1), b(4096, 2);
  int same = 0, fixed = 0;
  for (std::uint64_t i = 0; i < 4096; ++i) {
    same += a.at(i) == b.at(i);
    fixed += a.at(i) == i;
  }
  EXPECT_LT(same, 50);
  EXPECT_LT(fixed, 50);
  EXPECT_EQ(Permutation(4096, 1).at(7), a.at(7));
}

}  // namespace aistor
