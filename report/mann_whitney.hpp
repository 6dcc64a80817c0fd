#pragma once
// The Mann-Whitney U test (Wilcoxon rank-sum): whether two samples come from distributions of the
// same location, without assuming normality — what benchmark repetitions on a noisy machine need.
#include <span>

namespace aistor {

struct MannWhitney {
  double u = 0;        // U of the first sample: pairs (a, b) with a > b, ties counting one half
  double p = 1;        // two-sided p-value
  bool exact = false;  // from the exact distribution (no ties, both samples <= 50); else the
                       // normal approximation with tie and continuity corrections
};

// Both samples need at least one value; with fewer than two in either, p is 1.
[[nodiscard]] MannWhitney mann_whitney(std::span<const double> a, std::span<const double> b);

}  // namespace aistor
