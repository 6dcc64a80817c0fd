#pragma once
// How big a training checkpoint is and how parallel training shards it.
//
// Size: given directly, or from a model: a parameter count, or a transformer shape (layers,
// hidden, ffn, heads, kv_heads, vocab; gated MLPs such as LLaMA's have three matrices, GPT's two;
// embeddings tied or not) x bytes per weight (fp16/bf16 2, fp32 4) + optimizer state (Adam with
// fp32 master weights and two moments: 12 bytes a parameter), as DeepSpeed/Megatron save it.
// LLaMA-3-8B's shape gives 8,030,261,248 parameters, 14 bytes each with Adam: 104.7 GiB.
//
// Sharding (as DLIO models it): tensor (tp) x pipeline (pp) parallel ranks each own 1/(tp*pp) of
// the parameters; data-parallel replicas (dp) of a shard write it once (ZeRO 0: replica 0 writes
// weights and optimizer), or split the optimizer state across replicas (ZeRO 1 and 2), or split
// weights too (ZeRO 3). Integer division hands remainders to the first ranks, so the ranks' bytes
// always sum to the total exactly.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aistor {

class ConfigNode;

struct TransformerShape {
  std::uint64_t layers = 0;
  std::uint64_t hidden = 0;
  std::uint64_t ffn = 0;
  std::uint64_t heads = 0;
  std::uint64_t kv_heads = 0;  // 0: as many as heads (no grouped-query attention)
  std::uint64_t vocab = 0;
  bool gated_mlp = true;
  bool tied_embeddings = false;

  // Attention (q, k, v, o; k and v sized for kv_heads) + MLP + two norms per layer, plus the
  // embedding and (unless tied) the output head and a final norm. Biases are not counted.
  // nullopt when the count does not fit in 64 bits.
  [[nodiscard]] std::optional<std::uint64_t> parameters() const noexcept;
};

struct ParallelLayout {
  unsigned tp = 1;
  unsigned pp = 1;
  unsigned dp = 1;
  unsigned zero = 0;  // ZeRO stage 0..3
  [[nodiscard]] unsigned ranks() const noexcept { return tp * pp * dp; }
};

struct RankShard {
  unsigned rank = 0;  // tp + tp_size * (pp + pp_size * dp)
  unsigned tp = 0;
  unsigned pp = 0;
  unsigned dp = 0;
  std::uint64_t model_bytes = 0;
  std::uint64_t optimizer_bytes = 0;
  [[nodiscard]] std::uint64_t bytes() const noexcept { return model_bytes + optimizer_bytes; }
};

struct CheckpointSize {
  std::uint64_t parameters = 0;  // 0 when the size was given directly
  std::uint64_t model_bytes = 0;
  std::uint64_t optimizer_bytes = 0;
  [[nodiscard]] std::uint64_t bytes() const noexcept { return model_bytes + optimizer_bytes; }
};

// Every rank's share; sums to `size` exactly.
[[nodiscard]] std::vector<RankShard> shard_checkpoint(const CheckpointSize& size,
                                                      const ParallelLayout& layout);

// Reads "size" (bytes) or "model": {"parameters" | "layers", "hidden", ...; "dtype",
// "optimizer": "adam" | "none"}, "scale" (0..1, shrinks the bytes), "parallel": {"tp", "pp",
// "dp", "zero"}, and "sizing": "even" (shard_checkpoint) or "dlio" (MLPerf's benchmark's bytes
// per rank, dlio_sizing.hpp; needs a transformer shape).
struct CheckpointSpec {
  CheckpointSize size;
  ParallelLayout layout;
  nlohmann::json model;           // what the size was derived from, for the report
  std::vector<RankShard> shards;  // "sizing": "dlio": every rank's bytes (size: their sums)
  [[nodiscard]] std::vector<RankShard> rank_shards() const {
    return shards.empty() ? shard_checkpoint(size, layout) : shards;
  }
};
[[nodiscard]] CheckpointSpec parse_checkpoint_spec(ConfigNode& phase);

}  // namespace aistor
