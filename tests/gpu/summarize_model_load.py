#!/usr/bin/env python3
"""Summarizes tests/gpu/model_load_on_gpu.sh: aistor's model-load phases into GPU memory (median
of repeats: load rate over the requested bytes, first-tensor time) beside the peers
(safetensors.load_file(device="cuda"), torch.load(mmap=True) + .cuda(); median of their runs),
cold and warm, and aistor's best against each peer.
Usage: summarize_model_load.py PEERS.jsonl REPORT.json"""
import json
import statistics
import sys


def main(peers_path, report_path):
    med = statistics.median
    phases, failed = {}, []
    for p in json.load(open(report_path))["phases"]:
        if p["status"] == "ok":
            phases.setdefault(p["name"], []).append(p)
        else:
            failed.append(f"{p['name']}: {p['status']}: {p.get('error', '')}")
    peers = {}
    for line in open(peers_path):
        if line.strip():
            j = json.loads(line)
            peers.setdefault((j["peer"], j["cache"]), []).append(j["bytes_per_s"])
    print("| loader | cache | runs | GB/s (median) | first tensor s |")
    print("|---|---|---:|---:|---:|")
    best = {}
    for name, ps in phases.items():
        cache = "cold" if name.endswith("cold") else "warm"
        rate = med(p["workload_metrics"]["load_bytes_per_s"] for p in ps)
        first = med(p["workload_metrics"]["first_tensor_s"] or 0 for p in ps)
        on_gpu = ps[0]["engine"]["name"].startswith("gpu")
        if on_gpu:
            best[cache] = max(best.get(cache, (0, "")), (rate, name))
        print(f"| aistor {name} ({ps[0]['engine']['name']}) | {cache} | {len(ps)} | "
              f"{rate / 1e9:.2f} | {first:.3f} |")
    for (peer, cache), rates in sorted(peers.items()):
        print(f"| {peer} | {cache} | {len(rates)} | {med(rates) / 1e9:.2f} | - |")
    print()
    for cache in ("cold", "warm"):
        if cache not in best:
            continue
        rate, name = best[cache]
        for (peer, c), rates in sorted(peers.items()):
            if c == cache:
                print(f"- {cache}: aistor {name} / {peer} = {rate / med(rates):.2f}")
    for f in failed:
        print(f"- FAILED {f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
