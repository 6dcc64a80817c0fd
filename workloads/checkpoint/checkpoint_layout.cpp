#include "workloads/checkpoint/checkpoint_layout.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/checked_math.hpp"
#include "core/config_node.hpp"
#include "workloads/checkpoint/dlio_sizing.hpp"

namespace aistor {

std::optional<std::uint64_t> TransformerShape::parameters() const noexcept {
  const std::uint64_t kv = kv_heads == 0 ? heads : kv_heads;
  const std::uint64_t head_dim = heads == 0 ? 0 : hidden / heads;
  const auto attention =
      checked_add(checked_mul(checked_mul(2, hidden), hidden),
                  checked_mul(checked_mul(2, hidden), checked_mul(kv, head_dim)));
  const auto mlp = checked_mul(checked_mul(gated_mlp ? 3 : 2, hidden), ffn);
  const auto norms = checked_mul(2, hidden);
  const auto embeddings =
      checked_add(checked_mul(checked_mul(vocab, hidden), tied_embeddings ? 1 : 2), hidden);
  return checked_add(checked_mul(layers, checked_add(checked_add(attention, mlp), norms)),
                     embeddings);
}

namespace {

// `total` split into `parts`, the remainder going to the first parts.
std::uint64_t share(std::uint64_t total, std::uint64_t parts, std::uint64_t index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

}  // namespace

std::vector<RankShard> shard_checkpoint(const CheckpointSize& size, const ParallelLayout& l) {
  std::vector<RankShard> out;
  const std::uint64_t shards = std::uint64_t{l.tp} * l.pp;
  for (unsigned dp = 0; dp < l.dp; ++dp) {
    for (unsigned pp = 0; pp < l.pp; ++pp) {
      for (unsigned tp = 0; tp < l.tp; ++tp) {
        RankShard r;
        r.rank = tp + l.tp * (pp + l.pp * dp);
        r.tp = tp;
        r.pp = pp;
        r.dp = dp;
        const std::uint64_t shard = tp + std::uint64_t{l.tp} * pp;
        const std::uint64_t model = share(size.model_bytes, shards, shard);
        const std::uint64_t optimizer = share(size.optimizer_bytes, shards, shard);
        r.model_bytes = l.zero >= 3 ? share(model, l.dp, dp) : (dp == 0 ? model : 0);
        r.optimizer_bytes = l.zero >= 1 ? share(optimizer, l.dp, dp) : (dp == 0 ? optimizer : 0);
        out.push_back(r);
      }
    }
  }
  return out;
}

CheckpointSpec parse_checkpoint_spec(ConfigNode& phase) {
  CheckpointSpec s;
  const bool dlio = phase.choice("sizing", "even", {"even", "dlio"}) == "dlio";
  std::optional<TransformerShape> shape;
  unsigned weight_size = 0;
  unsigned optimizer_size = 0;
  if (phase.has("size") == phase.has("model")) {
    phase.fail("size", "give exactly one of \"size\" (bytes) and \"model\"");
  }
  if (phase.has("size")) {
    s.size.model_bytes = phase.size("size", std::nullopt, 1);
    s.model = {{"size_bytes", s.size.model_bytes}};
  } else {
    ConfigNode m = phase.object("model");
    std::uint64_t params = 0;
    if (m.has("parameters")) {
      params = m.size("parameters", std::nullopt, 1);
    } else {
      TransformerShape t;
      t.layers = m.size("layers", std::nullopt, 1, 100000);
      t.hidden = m.size("hidden", std::nullopt, 1, 1u << 24);
      t.ffn = m.size("ffn", std::nullopt, 1, 1u << 26);
      t.heads = m.size("heads", std::nullopt, 1, 1u << 16);
      t.kv_heads = m.size("kv_heads", 0, 0, t.heads);
      t.vocab = m.size("vocab", std::nullopt, 1, 1u << 26);
      t.gated_mlp = m.boolean("gated_mlp", true);
      t.tied_embeddings = m.boolean("tied_embeddings", false);
      // DLIO rounds hidden / heads down (llama3-1t: 25872 / 192); a shape of our own must divide.
      if (t.hidden % t.heads != 0 && !dlio) m.fail("heads", "must divide hidden");
      const auto counted = t.parameters();
      if (!counted) m.fail("layers", "this shape has more parameters than 64 bits count");
      params = *counted;
      shape = t;
    }
    const std::string dtype = m.choice("dtype", "bf16", {"bf16", "fp16", "fp32"});
    const std::string optimizer = m.choice("optimizer", "adam", {"adam", "none"});
    const std::uint64_t weight_bytes = dtype == "fp32" ? 4 : 2;
    weight_size = static_cast<unsigned>(weight_bytes);
    optimizer_size = optimizer == "adam" ? 4 : 0;  // 3 fp32 values a parameter
    // Overflow guard: 2^64 / 16 parameters is far beyond any model.
    if (params > (UINT64_MAX / 16)) m.fail("parameters", "too many to count in bytes");
    s.size.parameters = params;
    s.size.model_bytes = params * weight_bytes;
    s.size.optimizer_bytes = optimizer == "adam" ? params * 12 : 0;
    m.finish();
    s.model = {{"parameters", params}, {"dtype", dtype}, {"optimizer", optimizer}};
  }
  if (dlio && !shape) {
    phase.fail("sizing",
               "\"dlio\" sizes a transformer shape: give model.layers, hidden, ffn, "
               "heads, kv_heads and vocab");
  }
  // "scale" shrinks a real model's checkpoint to what a test machine holds (sizes, not shapes).
  const double scale = phase.number("scale", 1.0, 1e-9, 1.0);
  if (scale < 1.0 && !dlio) {
    s.size.model_bytes = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(static_cast<double>(s.size.model_bytes) * scale));
    s.size.optimizer_bytes =
        static_cast<std::uint64_t>(static_cast<double>(s.size.optimizer_bytes) * scale);
    s.model["scale"] = scale;
  }
  if (phase.has("parallel")) {
    ConfigNode p = phase.object("parallel");
    s.layout.tp = static_cast<unsigned>(p.integer("tp", 1, 1, 4096));
    s.layout.pp = static_cast<unsigned>(p.integer("pp", 1, 1, 4096));
    s.layout.dp = static_cast<unsigned>(p.integer("dp", 1, 1, 4096));
    s.layout.zero = static_cast<unsigned>(p.integer("zero", 0, 0, 3));
    // tp, pp and dp of 4096 each would wrap a 32-bit count: the product is taken in 64 bits.
    const std::uint64_t ranks = std::uint64_t{s.layout.tp} * s.layout.pp * s.layout.dp;
    if (ranks > 1024) {
      p.fail("dp", fmt::format("tp x pp x dp = {} ranks: at most 1024 run on one machine", ranks));
    }
    p.finish();
  }
  if (dlio) {
    s.shards = dlio_shards(*shape, s.layout, weight_size, optimizer_size);
    s.size.model_bytes = 0;
    s.size.optimizer_bytes = 0;
    for (RankShard& r : s.shards) {
      if (scale < 1.0) {
        const auto scaled = [scale](std::uint64_t b) {
          return b == 0 ? 0
                        : std::max<std::uint64_t>(
                              1, static_cast<std::uint64_t>(static_cast<double>(b) * scale));
        };
        r.model_bytes = scaled(r.model_bytes);
        r.optimizer_bytes = scaled(r.optimizer_bytes);
      }
      s.size.model_bytes += r.model_bytes;
      s.size.optimizer_bytes += r.optimizer_bytes;
    }
    s.model["sizing"] = "dlio";
    if (scale < 1.0) s.model["scale"] = scale;
  }
  return s;
}

}  // namespace aistor
