#!/usr/bin/python3
"""MLPerf Storage's LLM checkpoint bytes per rank, as its benchmark (DLIO, vendored in
mlcommons/storage: dlio_benchmark/checkpointing/base_checkpointing.py) computes them, written
again from its formulas to give the exact figures aistor's `"sizing": "dlio"` must match
(tests/checkpoint_test.cpp). Prints each preset's parameters, totals and a few ranks.

  /usr/bin/python3 tests/peers/dlio_checkpoint_sizes.py
"""

# layers, hidden, ffn, heads, kv_heads, vocab, tp, pp, dp, zero (mlcommons/storage
# configs/dlio/workload/llama3_*.yaml; dp as MLPerf's closed division runs them)
PRESETS = {
    "llama3-8b": (32, 4096, 14336, 32, 8, 128256, 1, 1, 8, 3),
    "llama3-70b": (80, 8192, 28672, 128, 8, 128256, 8, 1, 8, 3),
    "llama3-405b": (126, 16384, 53248, 128, 8, 128256, 8, 32, 2, 1),
    "llama3-1t": (128, 25872, 98304, 192, 32, 128256, 8, 64, 2, 1),
}


def shards(L, h, ffn, heads, kv, V, tp, pp, dp, zero, model_dtype=2, optimizer_dtype=4):
    mp = tp * pp
    dkv = (h // heads) * kv
    params = 2 * V * h + (h + h * (h + 2 * dkv) + h * h + h + 3 * ffn * h) * L + h
    shard = dp if zero >= 3 else 1

    def layer(i):
        if i in (0, L + 1):  # embedding, output head
            return h * V // tp // shard
        if i == L + 2:  # final norm
            return h // shard
        return (h // shard + h * (h + 2 * dkv) // tp // shard + h * h // tp // shard
                + h // shard + h * 2 * ffn // tp // shard + h * ffn // tp // shard)

    out = []
    for rank in range(tp * pp * dp):
        p, d = (rank // tp) % pp, rank // mp
        per, rem = L // pp, L % pp
        first = p * (per + 1) + 1 if p < rem else rem * (per + 1) + (p - rem) * per + 1
        last = first + per if p < rem else first + per - 1
        if p == pp - 1:
            last = L + 2
        if p == 0:
            first = 0
        writes_model = zero >= 3 or d == 0
        model = sum(layer(i) for i in range(first, last + 1)) * model_dtype if writes_model else 0
        n = params // (dp * mp) if zero > 0 else params // mp
        optimizer = (3 * n + 15 * h) * optimizer_dtype if (zero > 0 or d == 0) and n > 0 else 0
        out.append((model, optimizer))
    return params, out


if __name__ == "__main__":
    for name, preset in PRESETS.items():
        params, ranks = shards(*preset)
        total = sum(m + o for m, o in ranks)
        print(f"{name}: {params} parameters, {len(ranks)} ranks, {total} bytes "
              f"({total / 2**30:.2f} GiB); rank 0 {ranks[0]}, last {ranks[-1]}")
