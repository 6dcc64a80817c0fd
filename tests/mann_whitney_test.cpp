#include "report/mann_whitney.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace aistor {

TEST(MannWhitney, ExactPValuesMatchTheTables) {
  // Fully separated samples of 3 and 3: U = 0, P(U <= 0) = 1 / C(6, 3) = 1/20, two-sided 0.1.
  std::vector<double> a{1, 2, 3}, b{4, 5, 6};
  auto r = mann_whitney(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.u, 0);
  EXPECT_DOUBLE_EQ(r.p, 0.1);
  EXPECT_DOUBLE_EQ(mann_whitney(b, a).p, 0.1);  // symmetric
  EXPECT_EQ(mann_whitney(b, a).u, 9);
  // 9 against 9, separated: 2 / C(18, 9) = 2 / 48620.
  std::vector<double> c, d;
  for (int i = 0; i < 9; ++i) {
    c.push_back(100 + i);
    d.push_back(90 + i * 0.5);
  }
  r = mann_whitney(c, d);
  EXPECT_EQ(r.u, 81);
  EXPECT_NEAR(r.p, 2.0 / 48620, 1e-15);
  // Interleaved: 1 3 5 against 2 4 6 gives U = 3 of 9; P(U <= 3) = 7/20, two-sided 0.7.
  std::vector<double> e{1, 3, 5}, f{2, 4, 6};
  EXPECT_EQ(mann_whitney(e, f).u, 3);
  EXPECT_NEAR(mann_whitney(e, f).p, 0.7, 1e-12);
}

TEST(MannWhitney, TiesUseTheCorrectedNormalApproximation) {
  std::vector<double> a{1, 2, 2, 3, 4}, b{2, 3, 5, 6, 7};
  const auto r = mann_whitney(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.u, 4.5);  // 1:0, 2:0.5, 2:0.5, 3:1.5 (beats 2, ties 3), 4:2
  // mn/2 = 12.5; ties: 2 three times (27 - 3), 3 twice (8 - 2); variance = 25/12 * (11 - 30/90)
  EXPECT_NEAR(r.p,
              std::erfc((8.0 - 0.5) / std::sqrt(25.0 / 12 * (11 - 30.0 / 90)) / std::sqrt(2.0)),
              1e-12);
  const std::vector<double> same{5, 5, 5};
  EXPECT_EQ(mann_whitney(same, same).p, 1.0);  // no spread: no evidence
}

TEST(MannWhitney, OneValueGivesNoEvidence) {
  const std::vector<double> a{1}, b{2, 3, 4};
  EXPECT_EQ(mann_whitney(a, b).p, 1.0);
}

}  // namespace aistor
