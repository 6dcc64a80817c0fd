#include "workloads/checkpoint/dlio_sizing.hpp"

namespace aistor {
namespace {

struct Dlio {
  TransformerShape s;
  ParallelLayout l;
  std::uint64_t dkv = 0;

  [[nodiscard]] std::uint64_t parameters() const {
    const std::uint64_t h = s.hidden;
    const std::uint64_t layer = h + h * (h + 2 * dkv) + h * h + h + 3 * s.ffn * h;
    return 2 * s.vocab * h + s.layers * layer + h;
  }

  // Layer i's parameters on one rank.
  [[nodiscard]] std::uint64_t layer(std::uint64_t i) const {
    const std::uint64_t h = s.hidden;
    const std::uint64_t tp = l.tp;
    const std::uint64_t shard = l.zero >= 3 ? l.dp : 1;
    if (i == 0 || i == s.layers + 1) return h * s.vocab / tp / shard;
    if (i == s.layers + 2) return h / shard;
    return h / shard + h * (h + 2 * dkv) / tp / shard + h * h / tp / shard + h / shard +
           h * 2 * s.ffn / tp / shard + h * s.ffn / tp / shard;
  }

  // The layers pipeline stage p holds, first and last.
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> stage(std::uint64_t p) const {
    const std::uint64_t per = s.layers / l.pp;
    const std::uint64_t rem = s.layers % l.pp;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (p < rem) {
      first = p * (per + 1) + 1;
      last = first + per;
    } else {
      first = rem * (per + 1) + (p - rem) * per + 1;
      last = first + per - 1;
    }
    if (p == l.pp - 1) last = s.layers + 2;
    if (p == 0) first = 0;
    return {first, last};
  }
};

}  // namespace

std::vector<RankShard> dlio_shards(const TransformerShape& shape, const ParallelLayout& layout,
                                   unsigned model_dtype_bytes, unsigned optimizer_dtype_bytes) {
  Dlio d{shape, layout,
         (shape.hidden / shape.heads) * (shape.kv_heads ? shape.kv_heads : shape.heads)};
  const std::uint64_t params = d.parameters();
  const std::uint64_t mp = std::uint64_t{layout.tp} * layout.pp;
  const std::uint64_t n = layout.zero > 0 ? params / (layout.dp * mp) : params / mp;
  std::vector<RankShard> out;
  for (unsigned dp = 0; dp < layout.dp; ++dp) {
    for (unsigned pp = 0; pp < layout.pp; ++pp) {
      for (unsigned tp = 0; tp < layout.tp; ++tp) {
        RankShard r;
        r.rank = tp + layout.tp * (pp + layout.pp * dp);
        r.tp = tp;
        r.pp = pp;
        r.dp = dp;
        if (layout.zero >= 3 || dp == 0) {
          const auto [first, last] = d.stage(pp);
          for (std::uint64_t i = first; i <= last; ++i)
            r.model_bytes += d.layer(i) * model_dtype_bytes;
        }
        if ((layout.zero > 0 || dp == 0) && n > 0)
          r.optimizer_bytes = (3 * n + 15 * shape.hidden) * optimizer_dtype_bytes;
        out.push_back(r);
      }
    }
  }
  return out;
}

}  // namespace aistor
