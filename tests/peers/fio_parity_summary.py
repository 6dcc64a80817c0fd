"""fio parity: the summary (markdown and JSON) of every job's pairs."""

from __future__ import annotations

import json

from fio_parity_jobs import (FILE_BASE, GOAL_P50_TOL, GOAL_TPUT_RATIO, ORDER_TEXT, Job,
                             human_size, median)


def fmt_us(ns) -> str:
    return "-" if ns is None else f"{ns / 1000:.1f} µs"


def fmt_ratio(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def summarize(args, jobs: list[Job], results, failures: list[str]) -> tuple[str, dict]:
    mode = "cached (page-cache resident, buffered)" if args.cached else "direct (O_DIRECT, cold)"
    uring = ("plain: fixed_buffers=false, registered_files=false (like fio's defaults)"
             if args.uring_mode == "plain" else
             "aistor defaults: fixed_buffers=true, registered_files=true (fio: plain)")
    md = ["# aistor vs fio parity", "",
          f"- mode: {mode}",
          f"- file: `{args.dir / (FILE_BASE + '.0')}`, size {human_size(args.size)}, "
          f"runtime {args.runtime}s" + (f" + ramp {args.ramp}s" if args.ramp else "") +
          f", {args.pairs} pair(s), order {ORDER_TEXT[args.order]}" +
          (f", {args.warmup_pairs} discarded warm-up pair(s) per job" if args.warmup_pairs
           else ""),
          f"- aistor io_uring: {uring}",
          "- random seeds: " + ("a new seed for every run of either tool (`--vary-seed`)"
                                if args.vary_seed else
                                "each tool repeats its own sequence (fio randrepeat=1, aistor seed 1)"),
          "- latency: aistor `latency_ns` vs fio `lat_ns` (total, submission→completion; fio run "
          "with `--lat_percentiles=1`)",
          f"- goals: throughput ratio (aistor/fio, median of per-pair ratios) ≥ {GOAL_TPUT_RATIO}; "
          f"p50 latency ratio within ±{GOAL_P50_TOL:.0%}", ""]
    data = {"mode": "cached" if args.cached else "direct", "uring": args.uring_mode,
            "size": args.size, "runtime_s": args.runtime, "ramp_s": args.ramp,
            "pairs": args.pairs, "warmup_pairs": args.warmup_pairs, "quick": args.quick, "aistor": str(args.aistor),
            "fio": args.fio, "dir": str(args.dir), "goals": {"throughput_ratio_min":
            GOAL_TPUT_RATIO, "p50_ratio_tolerance": GOAL_P50_TOL}, "jobs": {}}

    build_types = {ra.extra.get("build_type") for pairs in results.values()
                   for ra, _ in pairs if ra.ok and ra.extra.get("build_type")}
    if build_types and build_types != {"Release"}:
        md.insert(2, f"> **warning:** aistor build type {', '.join(sorted(build_types))} — "
                     "not a Release build; numbers are not representative.\n")
    if args.quick:
        md.insert(2, "> **quick run** (development only: tiny file, short runtime, fewer than 3 "
                     "pairs) — not a valid parity measurement.\n")

    overview = ["| job | aistor MB/s | fio MB/s | tput ratio | aistor p50 | fio p50 | p50 ratio "
                "| aistor p99 | fio p99 | p99 ratio | goal |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    details = []
    for job in jobs:
        pairs = results.get(job.name, [])
        good = [(a, f) for a, f in pairs if a.ok and f.ok]
        tr = [ratio(a.bytes_per_s, f.bytes_per_s) for a, f in good]
        p50r = [ratio(a.p50_ns, f.p50_ns) for a, f in good]
        p99r = [ratio(a.p99_ns, f.p99_ns) for a, f in good]
        m = {
            "aistor_MBps": median([a.bytes_per_s / 1e6 for a, _ in good]),
            "fio_MBps": median([f.bytes_per_s / 1e6 for _, f in good]),
            "aistor_p50_ns": median([a.p50_ns for a, _ in good]),
            "fio_p50_ns": median([f.p50_ns for _, f in good]),
            "aistor_p99_ns": median([a.p99_ns for a, _ in good]),
            "fio_p99_ns": median([f.p99_ns for _, f in good]),
            "throughput_ratio": median(tr), "p50_ratio": median(p50r),
            "p99_ratio": median(p99r),
        }
        if len(good) < len(pairs) or not good:
            verdict = "FAIL (run error)"
        else:
            miss = []
            if m["throughput_ratio"] is None or m["throughput_ratio"] < GOAL_TPUT_RATIO:
                miss.append("tput")
            if m["p50_ratio"] is None or abs(m["p50_ratio"] - 1) > GOAL_P50_TOL:
                miss.append("p50")
            verdict = "PASS" if not miss else "MISS (" + ", ".join(miss) + ")"
        m["verdict"] = verdict
        overview.append(
            f"| {job.name} | {m['aistor_MBps'] or 0:.1f} | {m['fio_MBps'] or 0:.1f} | "
            f"{fmt_ratio(m['throughput_ratio'])} | {fmt_us(m['aistor_p50_ns'])} | "
            f"{fmt_us(m['fio_p50_ns'])} | {fmt_ratio(m['p50_ratio'])} | "
            f"{fmt_us(m['aistor_p99_ns'])} | {fmt_us(m['fio_p99_ns'])} | "
            f"{fmt_ratio(m['p99_ratio'])} | {verdict} |")

        eng = json.dumps(pairs[0][0].extra.get("engine")) if pairs and pairs[0][0].ok else "?"
        fio_eng = (f"--ioengine={job.fio_engine} --iodepth={job.iodepth} "
                   f"--direct={int(job.direct)} --rw={job.rw} --bs={job.bs}")
        details += ["", f"### {job.name}", "",
                    f"aistor engine (as reported): `{eng}`; fio: `{fio_eng}`", "",
                    "| pair | aistor MB/s | fio MB/s | tput ratio | aistor IOPS | fio IOPS | "
                    "aistor p50 | fio p50 | p50 ratio | aistor p99 | fio p99 | p99 ratio | "
                    "resident before (a/f) |",
                    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        rows = []
        for k, (a, f) in enumerate(pairs, 1):
            if not (a.ok and f.ok):
                err = "; ".join(r.error for r in (a, f) if not r.ok)
                details.append(f"| {k} | failed: {err} |||||||||||| ")
                rows.append({"pair": k, "error": err})
                continue
            res = "/".join("-" if r.resident_before is None else f"{r.resident_before:.0%}"
                           for r in (a, f))
            details.append(
                f"| {k} | {a.bytes_per_s / 1e6:.1f} | {f.bytes_per_s / 1e6:.1f} | "
                f"{fmt_ratio(ratio(a.bytes_per_s, f.bytes_per_s))} | {a.iops:.0f} | "
                f"{f.iops:.0f} | {fmt_us(a.p50_ns)} | {fmt_us(f.p50_ns)} | "
                f"{fmt_ratio(ratio(a.p50_ns, f.p50_ns))} | {fmt_us(a.p99_ns)} | "
                f"{fmt_us(f.p99_ns)} | {fmt_ratio(ratio(a.p99_ns, f.p99_ns))} | {res} |")
            rows.append({"pair": k, "aistor": vars(a), "fio": vars(f)})
        data["jobs"][job.name] = {"median": m, "pairs": rows,
                                  "fio_args": fio_eng, "aistor_engine": eng}

    md += ["## Overview (medians over pairs)", ""] + overview + ["", "## Per pair"] + details
    if failures:
        md += ["", "## Run failures", ""] + [f"- {x}" for x in failures]
    data["failures"] = failures
    md.append("")
    return "\n".join(md), data


# ----------------------------------------------------------------------------------------------
