#include "report/mann_whitney.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace aistor {
namespace {

// P(U <= u) under the null hypothesis for samples of m and n without ties: the share of the
// C(m + n, m) orderings whose U is at most u, counted by the recurrence
// N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1).
double exact_cdf(int m, int n, int u) {
  // counts[j][v]: orderings of i values of the first sample and j of the second with U = v,
  // built up i by i.
  const int top = m * n;
  std::vector<std::vector<double>> prev(static_cast<std::size_t>(n + 1),
                                        std::vector<double>(static_cast<std::size_t>(top + 1)));
  for (int j = 0; j <= n; ++j)
    prev[static_cast<std::size_t>(j)][0] = 1;  // i = 0: U is 0
  for (int i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> cur(static_cast<std::size_t>(n + 1),
                                         std::vector<double>(static_cast<std::size_t>(top + 1)));
    cur[0][0] = 1;  // j = 0: U is 0
    for (int j = 1; j <= n; ++j) {
      for (int v = 0; v <= i * j; ++v) {
        // The largest value is from the first sample (it beats all j) or from the second.
        double c = cur[static_cast<std::size_t>(j - 1)][static_cast<std::size_t>(v)];
        if (v >= j) c += prev[static_cast<std::size_t>(j)][static_cast<std::size_t>(v - j)];
        cur[static_cast<std::size_t>(j)][static_cast<std::size_t>(v)] = c;
      }
    }
    prev = std::move(cur);
  }
  const auto& counts = prev[static_cast<std::size_t>(n)];
  double below = 0, total = 0;
  for (int v = 0; v <= top; ++v) {
    total += counts[static_cast<std::size_t>(v)];
    if (v <= u) below += counts[static_cast<std::size_t>(v)];
  }
  return below / total;
}

}  // namespace

MannWhitney mann_whitney(std::span<const double> a, std::span<const double> b) {
  MannWhitney out;
  const auto m = a.size();
  const auto n = b.size();
  for (double x : a) {
    for (double y : b)
      out.u += x > y ? 1.0 : (x == y ? 0.5 : 0.0);
  }
  if (m < 2 || n < 2) return out;
  std::map<double, int> counts;
  for (double x : a)
    ++counts[x];
  for (double y : b)
    ++counts[y];
  const bool ties = counts.size() < m + n;
  const double mn = static_cast<double>(m * n);
  if (!ties && m <= 50 && n <= 50) {
    // Symmetric: the tail on the side of u, doubled.
    const double low = std::min(out.u, mn - out.u);
    out.p = std::min(
        1.0, 2 * exact_cdf(static_cast<int>(m), static_cast<int>(n), static_cast<int>(low)));
    out.exact = true;
    return out;
  }
  const double total = static_cast<double>(m + n);
  double tie_term = 0;
  for (const auto& [value, t] : counts)
    tie_term += std::pow(static_cast<double>(t), 3) - t;
  const double variance = mn / 12 * ((total + 1) - tie_term / (total * (total - 1)));
  if (variance <= 0) return out;  // every value equal: no evidence of a difference
  const double z = (std::abs(out.u - mn / 2) - 0.5) / std::sqrt(variance);
  out.p = std::min(1.0, std::erfc(std::max(0.0, z) / std::sqrt(2.0)));
  return out;
}

}  // namespace aistor
