#!/usr/bin/env python3
"""Summarizes one run of tests/gpu/run_on_gpu.sh: aistor's gpu-load phases (median of repeats),
the safetensors peer (median of its runs), the copy ceilings of `aistor probe gpu`, and the
issue's goals as ratios. Usage: summarize_gpu_load.py PEERS.jsonl PROBE.json REPORT.json..."""
import json
import statistics
import sys


def main(peers_path, probe_path, *report_paths):
    probe = json.load(open(probe_path))
    runs, failed = {}, []
    for path in report_paths:
        for p in json.load(open(path))["phases"]:
            if p["status"] == "ok":
                runs.setdefault(p["name"], []).append(p)
            else:
                failed.append(f"{p['name']}: {p['status']}: {p.get('error', '')}")
    peers = {}
    for line in open(peers_path):
        if line.strip():
            j = json.loads(line)
            peers.setdefault(j["cache"], []).append(j["bytes_per_s"])

    def ceiling(memory, chunk):
        for c in probe["copies"]:
            if c["memory"] == memory and c["direction"] == "host_to_device" and c["chunk"] == chunk:
                return c["bytes_per_s"]
        return None

    rows, figures = [], {}
    for name, ps in runs.items():
        rate = statistics.median(p.get("bytes_per_s", 0) for p in ps)
        frac = [p["copy_ceiling_fraction"] for p in ps if "copy_ceiling_fraction" in p]
        figures[name] = rate
        rows.append((f"aistor {name}", ps[0].get("engine", {}).get("name", ""),
                     ps[0].get("workers", ""), len(ps), rate,
                     statistics.median(frac) if frac else None))
    for cache, rates in peers.items():
        rate = statistics.median(rates)
        figures[f"safetensors-{cache}"] = rate
        rows.append((f"safetensors.load_file(device=cuda) {cache}", "python", 1, len(rates), rate,
                     None))
    pinned = ceiling("pinned", 16 << 20)
    pageable = ceiling("pageable", 16 << 20)
    out = []
    out.append(f"GPU: {probe['gpu']['name']}; copy ceilings at 16 MiB host->device: "
               f"pinned {pinned / 1e9:.1f} GB/s, pageable {pageable / 1e9:.1f} GB/s (the goals' "
               "ceilings; the table's last column divides by each engine's ceiling at its own "
               "piece size)\n")
    out.append("| loader | engine | workers | runs | GB/s (median) | of its own ceiling |")
    out.append("|---|---|---:|---:|---:|---:|")
    for r in rows:
        frac = f"{r[5]:.2f}" if r[5] is not None else ""
        out.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4] / 1e9:.2f} | {frac} |")
    def best(prefixes, two_gpus=False):
        named = [(v, k) for k, v in figures.items()
                 if k.startswith(prefixes) and ("2gpu" in k) == two_gpus]
        return max(named) if named else (None, None)

    warm, warm_name = best(("gpu-warm", "gpu-mmap-warm"))
    cold, cold_name = best(("gpu-cold", "gpu-mmap-cold", "gds-cold"))
    goals = []

    def goal(text, value, target):
        if value is None:
            goals.append((text, "n/a", target, "not measured"))
        else:
            goals.append((text, f"{value:.2f}", target, "PASS" if value >= target else "MISS"))

    st_warm, st_cold = figures.get("safetensors-warm"), figures.get("safetensors-cold")
    # The disk's O_DIRECT rate: the best shape measured (a sweep runs several).
    disk, disk_name = best(("disk-odirect",))
    goal(f"warm load GB/s ({warm_name})", warm / 1e9 if warm else None, 25)
    goal("warm load / safetensors warm", warm / st_warm if warm and st_warm else None, 4)
    goal("warm load / pinned ceiling at 16 MiB", warm / pinned if warm and pinned else None, 0.8)
    goal(f"cold load ({cold_name}) / disk O_DIRECT ({disk_name})", cold / disk if cold and disk else None, 0.9)
    goal("cold load / safetensors cold", cold / st_cold if cold and st_cold else None, 1.6)
    pg, pg_name = best(("gpu-pageable-warm",))
    two, two_name = best(("gpu-warm-2gpu", "gpu-mmap-warm-2gpu"), two_gpus=True)
    if two:
        goal(f"2 GPUs ({two_name}) / best 1 GPU warm", two / warm if warm else None, 1.0)
        goal(f"2 GPUs ({two_name}) GB/s", two / 1e9, 25)
    goal(f"{pg_name} / pageable ceiling at 16 MiB", pg / pageable if pg and pageable else None, 0.8)
    out.append("\n| goal | measured | target | |")
    out.append("|---|---:|---:|---|")
    for g in goals:
        out.append(f"| {g[0]} | {g[1]} | {g[2]} | {g[3]} |")
    if failed:
        out.append("\nfailed runs:")
        out.extend(f"- {f}" for f in failed)
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
