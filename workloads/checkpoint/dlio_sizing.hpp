#pragma once
// MLPerf Storage's checkpoint sizes, rank by rank, as its benchmark (DLIO) computes them: what a
// submission's ranks write, so a preset's bytes are MLPerf's to the byte.
//
// Parameters as TransformerShape counts them (untied embeddings, gated MLP), but head_dim is
// hidden / heads rounded down. Layers 0 (embedding), 1..L (transformer), L+1 (output head) and
// L+2 (final norm); pipeline stage p holds a contiguous run of L/pp transformer layers (the first
// L%pp stages one more), stage 0 also the embedding, the last stage the head and final norm. A
// layer's matrices divide by tp (rounded down; its norms do not), and under ZeRO 3 by dp too.
// Weights are written by every rank under ZeRO 3 and by data-parallel replica 0 otherwise. The
// optimizer state of a rank is three fp32 groups of P / (dp x tp x pp) parameters (ZeRO 0:
// P / (tp x pp), replica 0 only), each with 5 x hidden more: (3 n + 15 hidden) x its dtype.
// llama3-8b (tp 1, dp 8, ZeRO 3): 112,425,623,552 bytes (104.70 GiB, MLPerf's "105 GB").
#include <vector>

#include "workloads/checkpoint/checkpoint_layout.hpp"

namespace aistor {

// Every rank's bytes (rank = tp + tp_size x (pp + pp_size x dp)), weights of `model_dtype_bytes`
// and optimizer state of `optimizer_dtype_bytes` (0: none).
[[nodiscard]] std::vector<RankShard> dlio_shards(const TransformerShape& shape,
                                                 const ParallelLayout& layout,
                                                 unsigned model_dtype_bytes,
                                                 unsigned optimizer_dtype_bytes);

}  // namespace aistor
