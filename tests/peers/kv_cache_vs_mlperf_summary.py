#!/usr/bin/env python3
"""Summary of tests/peers/kv_cache_vs_mlperf.sh: aistor's kv-cache beside MLPerf's KV-cache peer.

Per point (model:users), the median over pairs of storage throughput (payload bytes read + written
/ elapsed), requests/s and peak RSS; the written entry sizes of both (quantiles, two-sample KS
distance over every pair's entries); and the time split: the peer's write host (np.save) and
device (fsync), read device (np.load) and host (fadvise + copy) p50s, beside aistor's write
(data + fsync) and its fsync part, read (fadvise + data) and its fadvise part.
Usage: kv_cache_vs_mlperf_summary.py OUT POINT...
"""
import glob
import json
import statistics
import sys

import numpy as np


def expand(sizes):
    return np.repeat(np.array([int(k) for k in sizes], dtype=np.int64),
                     [int(v) for v in sizes.values()])


def ks(a, b):
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def merged(dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def ms(ns):
    return ns / 1e6


def main():
    out, points = sys.argv[1], sys.argv[2:]
    rows, sizes, split = [], [], []
    for point in points:
        model, users = point.split(":")
        peers = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/peer-{model}-{users}-*.json"))]
        mine = [json.load(open(f))["phases"][0]
                for f in sorted(glob.glob(f"{out}/aistor-{model}-{users}-*.json"))
                if not f.endswith(f"aistor-{model}-{users}.json")]
        rss = {t: statistics.median(int(open(f).read().split()[-1]) / 1e6 for f in
                                    glob.glob(f"{out}/{t}-{model}-{users}-*.rss"))
               for t in ("peer", "aistor")}
        p_gbps = statistics.median(p["summary"]["storage_gbps"] for p in peers)
        a_gbps = statistics.median(
            (m["workload_metrics"]["tiers"]["storage"]["read_bytes"] +
             m["workload_metrics"]["tiers"]["storage"]["write_bytes"]) /
            m["workload_metrics"]["wall_s"] / 1e9 for m in mine)
        p_rps = statistics.median(p["summary"]["requests_per_second"] for p in peers)
        a_rps = statistics.median(m["workload_metrics"]["requests_per_s"] for m in mine)
        status = ",".join(sorted({m["status"] for m in mine}))
        rows.append(f"| {model} | {users} | {p_gbps:.3f} | {a_gbps:.3f} | {a_gbps / p_gbps:.2f} | "
                    f"{p_rps:.2f} | {a_rps:.2f} | {rss['peer']:.2f} | {rss['aistor']:.2f} | {status} |")
        pw = expand(merged(p["payload_sizes"]["write"] for p in peers))
        aw = expand(merged(m["workload_metrics"]["entry_sizes"]["written"] for m in mine))
        q = lambda x: " / ".join(f"{np.quantile(x, f) / 2**20:.1f}" for f in (0.1, 0.5, 0.9))
        sizes.append(f"| {model} | {users} | {len(pw)} | {q(pw)} | {len(aw)} | {q(aw)} | "
                     f"{ks(pw, aw):.3f} |")
        c = peers[len(peers) // 2]["summary"]["cache_stats"]
        w = mine[len(mine) // 2]["workload_metrics"]
        split.append(
            f"| {model} | {users} | {c['nvme_write_host_p50_ms']:.1f} + {c['nvme_write_device_p50_ms']:.1f}"
            f" | {ms(w['storage_write_ns'].get('p50', 0)):.1f} (fsync {ms(w['sync_ns'].get('p50', 0)):.1f})"
            f" | {c['nvme_read_device_p50_ms']:.1f} + {c['nvme_read_host_p50_ms']:.1f}"
            f" | {ms(w['storage_read_ns'].get('p50', 0)):.1f} (fadvise {ms(w['advise_ns'].get('p50', 0)):.2f}) |")
    print("# kv-cache against MLPerf's KV-cache benchmark (its peer), storage stress\n")
    print("Medians over the pairs; throughput is payload bytes read + written / elapsed (GB/s).\n")
    print("| model | users | peer GB/s | aistor GB/s | aistor / peer | peer req/s | aistor req/s "
          "| peer RSS GB | aistor RSS GB | aistor status |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n## Entry sizes written (MiB: p10 / p50 / p90; KS: the largest gap of the two CDFs)\n")
    print("| model | users | peer entries | peer sizes | aistor entries | aistor sizes | KS |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(sizes))
    print("\n## Where the time goes (p50 ms, the middle run)\n")
    print("Peer: write = host (np.save into the page cache) + device (fsync); read = device (np.load)"
          " + host (fadvise + copy). aistor: one write of an entry's requests with its fsync, one "
          "read with its fadvise.\n")
    print("| model | users | peer write host + device | aistor write (fsync) | peer read device + host "
          "| aistor read (fadvise) |")
    print("|---|---|---|---|---|---|")
    print("\n".join(split))


if __name__ == "__main__":
    main()
