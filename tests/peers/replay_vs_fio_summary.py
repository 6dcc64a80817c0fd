"""Summary of tests/peers/replay_vs_fio.sh: the round trips, the issue lag of aistor and fio at
each rate, aistor against fio as fast as possible; medians over the rounds; each goal's verdict."""
import json
import statistics
import sys

out, rounds, rt_rounds, lag_rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
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
          "| workload | ops | bytes | pattern | same ops, bytes, pattern (all rounds, both replays) | "
          "recorded MB/s (mean of the two around) | afap MB/s | afap / recorded (median, range) | on time / recorded | "
          "recorded QD | afap QD |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
for w in ("raw", "samples", "checkpoint"):
    ratios, on_time, same, rec_bps, rep_bps, qd = [], [], True, [], [], ([], [])
    for r in range(1, rt_rounds + 1):
        rec, rep, ont, again = report(f"rt-{w}-{r}")
        around = (rec["bytes_per_s"] + again["bytes_per_s"]) / 2
        for p in (rep, ont):
            same &= all(rec[k] == p[k] for k in ("ops", "bytes", "io_pattern"))
            same &= p["status"] == "ok"
        same &= rec["status"] == "ok"
        rec_bps.append(around)
        rep_bps.append(rep["bytes_per_s"])
        ratios.append(rep["bytes_per_s"] / around)
        on_time.append(ont["bytes_per_s"] / around)
        qd[0].append(rec["achieved_queue_depth"])
        qd[1].append(rep["achieved_queue_depth"])
    med = statistics.median(ratios)
    ok = same and abs(med - 1) <= 0.05
    verdicts.append((f"round trip {w}: same ops/bytes/pattern, afap throughput within 5 %", ok,
                     f"{med:.3f} x"))
    lines.append(f"| {w} | {rec['ops']} | {rec['bytes']} | {rec['io_pattern']['summary']} | {same} | "
                 f"{statistics.median(rec_bps) / 1e6:.1f} | {statistics.median(rep_bps) / 1e6:.1f} | "
                 f"{med:.3f} ({min(ratios):.3f}-{max(ratios):.3f}) | "
                 f"{statistics.median(on_time):.3f} | {statistics.median(qd[0]):.1f} | "
                 f"{statistics.median(qd[1]):.1f} |")

# 2. Fidelity.
lines += ["", f"## Issue lag replaying {OPS:,} random 4 KiB reads at their recorded times (cached)", "",
          f"Each figure the median over {lag_rounds} runs. aistor's lag is measured from the phase's "
          "start and is never negative (no op leaves before it is due); fio's from its first read "
          "(a start it is given), and both ways: `early` counts ops issued more than 1 ms before "
          "they were due, and its percentiles are of the lag's size, early or late.", "",
          "| rate (ops/s) | replayer | p50 us | p99 us | max us | > 1 ms late | > 1 ms early | "
          "achieved / recorded rate |", "|---|---|---|---|---|---|---|---|"]


def med(values):
    return statistics.median(values)


for rate in RATES:
    p99 = {}
    for kind, label in (("pread", "aistor pread"), ("uring", "aistor io_uring qd16")):
        runs = [report(f"lag-{rate}-{kind}-{r}")[0]["workload_metrics"]
                for r in range(1, lag_rounds + 1)]
        lag = [m["issue_lag"] for m in runs]
        p99[kind] = med([x["p99_us"] for x in lag])
        lines.append(f"| {rate:,} | {label} | {med([x['p50_us'] for x in lag]):.1f} | "
                     f"{p99[kind]:.1f} | {med([x['max_us'] for x in lag]):.0f} | "
                     f"{med([x['late_over_1ms'] for x in lag]):.0f} | 0 | "
                     f"{med([m['rate_vs_recorded'] for m in runs]):.3f} |")
    verdicts.append((f"aistor p99 issue lag <= 100 us at {rate:,} ops/s (pread; io_uring "
                     f"{p99['uring']:.1f} us)", p99["pread"] <= 100, f"{p99['pread']:.1f} us"))
    fio_runs = []
    for r in range(1, lag_rounds + 1):
        times = [int(line.split()[0]) for line in open(f"{out}/lag-{rate}-fio-{r}.issue")][:OPS]
        t0 = times[0]
        lags = [((t - t0) - i * 1_000_000_000 // rate) / 1e3 for i, t in enumerate(times)]
        size = [abs(x) for x in lags]
        span = (times[-1] - t0) / 1e9
        fio_runs.append({"p50": pct(size, 0.5), "p99": pct(size, 0.99), "max": max(size),
                         "late": sum(1 for x in lags if x > 1000),
                         "early": sum(1 for x in lags if x < -1000),
                         "rate": (len(times) - 1) / span / rate if span > 0 else 0.0,
                         "n": len(times)})
    f = {k: med([x[k] for x in fio_runs]) for k in fio_runs[0]}
    lines.append(f"| {rate:,} | fio psync (read_iolog) | {f['p50']:.1f} | {f['p99']:.1f} | "
                 f"{f['max']:.0f} | {f['late']:.0f} | {f['early']:.0f} | {f['rate']:.3f} |")
    verdicts.append((f"aistor's p99 issue lag below fio's at {rate:,} ops/s (pread against psync)",
                     p99["pread"] < f["p99"], f"{p99['pread']:.1f} vs {f['p99']:.1f} us"))
lines += ["", f"fio issued {min(x['n'] for x in fio_runs)} reads or more in each run (the trace "
          f"has {OPS:,})."]

# 3. afap against fio.
lines += ["", "## As fast as possible: aistor replay `afap` against fio `replay_no_stall=1` (1,000,000 ops cached, 50,000 O_DIRECT)", "",
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
