"""Summary of tests/peers/replay_vs_fio.sh: the round trips, the issue lag of aistor and fio at
each rate, aistor against fio as fast as possible; medians over the rounds; each goal's verdict."""
import json
import statistics
import sys

out, rounds = sys.argv[1], int(sys.argv[2])
RATES = (10000, 50000, 100000)
OPS = 50000


def report(name):
    return json.load(open(f"{out}/{name}-report.json"))["phases"]


def fio(name):
    return json.load(open(f"{out}/{name}.fio.json"))["jobs"][0]["read"]


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


lines = ["# Record and replay: round trips, fidelity, and fio's replay side by side", ""]
verdicts = []

# 1. Round trips.
lines += ["## Round trips (recorded with `trace`, replayed `afap`, same engine and files)", "",
          "| workload | ops | bytes | pattern | same ops, bytes, pattern (all rounds) | "
          "recorded MB/s | replayed MB/s | replayed / recorded (median, range) |",
          "|---|---|---|---|---|---|---|---|"]
for w in ("raw", "samples", "checkpoint"):
    ratios, same, rec_bps, rep_bps = [], True, [], []
    for r in range(1, rounds + 1):
        rec, rep = report(f"rt-{w}-{r}")
        same &= all(rec[k] == rep[k] for k in ("ops", "bytes", "io_pattern"))
        same &= rec["status"] == "ok" and rep["status"] == "ok"
        rec_bps.append(rec["bytes_per_s"])
        rep_bps.append(rep["bytes_per_s"])
        ratios.append(rep["bytes_per_s"] / rec["bytes_per_s"])
    med = statistics.median(ratios)
    ok = same and abs(med - 1) <= 0.05
    verdicts.append((f"round trip {w}: same ops/bytes/pattern, throughput within 5 %", ok,
                     f"{med:.3f} x"))
    lines.append(f"| {w} | {rec['ops']} | {rec['bytes']} | {rec['io_pattern']['summary']} | {same} | "
                 f"{statistics.median(rec_bps) / 1e6:.1f} | {statistics.median(rep_bps) / 1e6:.1f} | "
                 f"{med:.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")

# 2. Fidelity.
lines += ["", f"## Issue lag replaying {OPS:,} random 4 KiB reads at their recorded times (cached)", "",
          "| rate (ops/s) | replayer | p50 us | p99 us | max us | > 1 ms late | early | "
          "achieved / recorded rate |", "|---|---|---|---|---|---|---|---|"]
for rate in RATES:
    for kind, label in (("pread", "aistor pread"), ("uring", "aistor io_uring qd16")):
        m = report(f"lag-{rate}-{kind}")[0]["workload_metrics"]
        lag = m["issue_lag"]
        lines.append(f"| {rate:,} | {label} | {lag['p50_us']:.1f} | {lag['p99_us']:.1f} | "
                     f"{lag['max_us']:.0f} | {lag['late_over_1ms']} | 0 | "
                     f"{m['rate_vs_recorded']:.3f} |")
        if kind == "pread":
            aistor_p99 = lag["p99_us"]
            verdicts.append((f"aistor p99 issue lag <= 100 us at {rate:,} ops/s (pread)",
                             lag["p99_us"] <= 100, f"{lag['p99_us']:.1f} us"))
    times = [int(line.split()[0]) for line in open(f"{out}/lag-{rate}-fio.issue")]
    t0 = times[0]
    lags = [(t - t0) - i * 1_000_000_000 // rate for i, t in enumerate(times[:OPS])]
    late = [max(0, x) / 1e3 for x in lags]
    span = (times[-1] - t0) / 1e9
    lines.append(f"| {rate:,} | fio psync (read_iolog) | {pct(late, 0.5):.1f} | {pct(late, 0.99):.1f} | "
                 f"{max(late):.0f} | {sum(1 for x in late if x > 1000)} | "
                 f"{sum(1 for x in lags if x < -1000)} | "
                 f"{(len(times) - 1) / span / rate if span > 0 else 0:.3f} |")
    verdicts.append((f"aistor's p99 issue lag below fio's at {rate:,} ops/s", aistor_p99 < pct(late, 0.99),
                     f"{aistor_p99:.1f} vs {pct(late, 0.99):.1f} us"))
lines += ["", "fio's lag is measured from its first read (a start it is given), aistor's from the "
          "phase's start; `early`: ops issued more than 1 ms before they were due. fio counted "
          f"{len(times)} reads in the last run (the trace has {OPS:,})."]

# 3. afap against fio.
lines += ["", "## As fast as possible: aistor replay `afap` against fio `replay_no_stall=1`", "",
          "| engines | aistor IOPS (median) | fio IOPS (median of the runs around) | "
          "aistor / fio (median, range) |", "|---|---|---|---|"]
for kind, label in (("pread", "pread / psync, cached"), ("uring", "io_uring qd16, cached"),
                    ("direct", "io_uring qd16 O_DIRECT")):
    a, f, ratios = [], [], []
    for r in range(1, rounds + 1):
        iops = report(f"afap-{kind}-{r}")[0]["iops"]
        fio_iops = (fio(f"afap-{kind}-{r}-a")["iops"] + fio(f"afap-{kind}-{r}-b")["iops"]) / 2
        a.append(iops)
        f.append(fio_iops)
        ratios.append(iops / fio_iops)
    med = statistics.median(ratios)
    verdicts.append((f"afap {label}: aistor >= 1.0 x fio", med >= 1.0, f"{med:.3f} x"))
    lines.append(f"| {label} | {statistics.median(a):,.0f} | {statistics.median(f):,.0f} | "
                 f"{med:.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")

lines += ["", "## Goals", "", "| goal | figure | verdict |", "|---|---|---|"]
lines += [f"| {g} | {fig} | {'PASS' if ok else 'FAIL'} |" for g, ok, fig in verdicts]
print("\n".join(lines))
