#!/usr/bin/python3
"""Summarises tests/peers/mlperf_presets.sh's reports (issue 32's goals) as markdown:
  1. each training preset's I/O as aistor measured it against what its parameters imply
     (request size, samples per step, bytes per step; within 2 %);
  2. the searches: most accelerators at the AU threshold, aistor's CPU per step / step compute;
  3. checkpoints: the bytes each save wrote against DLIO's per-rank bytes (scaled) and
     MLPerf's totals.
Usage: mlperf_presets_check.py OUT"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlio_checkpoint_sizes as dlio  # noqa: E402

out = sys.argv[1]


def size(text):
    return int(re.fullmatch(r"(\d+)B", text).group(1))


def seconds(text):
    m = re.fullmatch(r"(\d+)us", text)
    return int(m.group(1)) / 1e6


def load(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def phase(report, name):
    for p in report["phases"]:
        if p["name"] == name and p["status"] == "ok":
            return p
    return None


def config_of(report, name):
    for p in report["config"]["phases"]:
        if p["name"] == name:
            return p
    raise KeyError(name)


def within(measured, implied, tolerance=0.02):
    return abs(measured / implied - 1) <= tolerance


print("# MLPerf Storage rules mode on this machine\n")
print("## 1. Each training preset's I/O against its parameters (goal: within 2 %)\n")
print("Implied: a sample of the preset's mean record length, `batch` samples a step, "
      "`batch x mean` bytes a step. Measured: the run's delivered bytes and samples over its "
      "batches (the last of an epoch may be short), and the storage requests' sizes (mean and stdev of the read-size histogram). "
      "`dataset` is the generated dataset's own mean (its sizes are drawn from the preset's "
      "distribution).\n")
print("| preset | samples | mean record: implied / dataset / delivered | samples per step: "
      "implied / measured | bytes per step: implied / measured | read sizes: mean, stdev "
      "(implied stdev) | within 2 % |")
print("|---|---|---|---|---|---|---|")
all_ok = True
for preset in ["unet3d", "retinanet", "flux", "dlrm", "resnet50", "cosmoflow"]:
    r = load("io-" + preset)
    p = r and phase(r, "run")
    if not p:
        print(f"| {preset} | - | - | - | - | - | run missing |")
        all_ok = False
        continue
    c = config_of(r, "run")
    mean = size(c["dataset"]["sizes"]["mean"])
    stdev = size(c["dataset"]["sizes"]["stdev"]) if "stdev" in c["dataset"]["sizes"] else 0
    batch = c["batch_size"]
    w = p["workload_metrics"]
    ds = w["dataset"]
    ds_mean = ds["payload_bytes"] / ds["samples"]
    delivered = w["delivered_bytes"] / w["samples"]
    # Steps: every batch the accelerators took (`steps` leaves out each one's first, as MLPerf's
    # AU does).
    batches = w["batches_per_epoch"] * len(w["epochs"])
    per_step = w["samples"] / batches
    bytes_step = w["delivered_bytes"] / batches
    hist = {int(k): v for k, v in p["read"]["sizes"].items()}
    n = sum(hist.values())
    rmean = sum(k * v for k, v in hist.items()) / n
    rstd = math.sqrt(sum(v * (k - rmean) ** 2 for k, v in hist.items()) / n)
    ok = within(delivered, mean) and within(per_step, batch) and within(bytes_step, batch * mean)
    all_ok &= ok
    print(f"| {preset} | {w['samples']} | {mean:,} / {ds_mean:,.0f} / {delivered:,.0f} "
          f"({delivered / mean - 1:+.2%}) | {batch} / {per_step:.2f} ({per_step / batch - 1:+.2%}) "
          f"| {batch * mean:,} / {bytes_step:,.0f} ({bytes_step / (batch * mean) - 1:+.2%}) "
          f"| {rmean:,.0f}, {rstd:,.0f} ({stdev:,}) | {'PASS' if ok else 'MISS'} |")
print(f"\nAll within 2 %: {'PASS' if all_ok else 'MISS'}\n")

print("## 2. The most accelerators at the AU threshold, and aistor's CPU per step\n")
print("CPU: the phase's user + system seconds (every aistor thread) over its steps, against the "
      "step's simulated compute time (goal: <= 10 %).\n")
print("| preset | AU goal | best accelerators | trials (accelerators: AU) | steps an epoch at best "
      "| CPU per step | step compute | CPU / compute | rules |")
print("|---|---|---|---|---|---|---|---|---|")
for preset in ["unet3d", "retinanet"]:
    r = load("search-" + preset)
    if not r:
        print(f"| {preset} | - | - | - | - | - | - | - | run missing |")
        continue
    s = r["searches"][0]
    trials = ", ".join(f"{t['value']}: {(t['metric'] or 0):.3f}" for t in s["trials"])
    step = seconds(config_of(r, "search")["compute"])
    cpu = steps = 0
    for p in r["phases"]:
        if p["status"] == "ok":
            cpu += p["cpu"]["user_s"] + p["cpu"]["sys_s"]
            steps += p["workload_metrics"]["steps"]
    per_step = cpu / steps if steps else float("nan")
    best = s["best"]
    limit = " (the range's end: 10 steps an accelerator)" if s.get("limited_by_range") else ""
    user = sum(p["cpu"]["user_s"] for p in r["phases"] if p["status"] == "ok")
    steps_best = next((p["workload_metrics"]["batches_per_epoch"] for p in r["phases"]
                       if p["status"] == "ok" and p["workload_metrics"]["accelerators"] == best),
                      "-")
    rules = "; ".join(f"{x['status']} {x['rule']}" for x in r["mlperf"]["rules"])
    print(f"| {preset} | {r['mlperf']['au_goal']} | {best}{limit} | {trials} | {steps_best} "
          f"| {per_step * 1e3:.2f} ms ({user / cpu:.0%} user) | {step * 1e3:.0f} ms "
          f"| {per_step / step:.2%} "
          f"({'PASS' if per_step / step <= 0.10 else 'MISS'}) | {rules} |")

print("\n## 3. Checkpoints: bytes written against DLIO's, and MLPerf's totals\n")
print("Runs at scale 1e-5 (each rank's bytes x 1e-5, rounded down, at least 1): the bytes each "
      "save wrote against DLIO's per-rank bytes scaled the same way "
      "(`dlio_checkpoint_sizes.py`); the full-scale total is the test's "
      "(`CheckpointLayout.DlioSizingGivesMlperfsBytesPerRank`).\n")
print("| preset | ranks | saves / restores ok | bytes a save: aistor / DLIO scaled | exact "
      "| full-scale total (DLIO) | MLPerf's table |")
print("|---|---|---|---|---|---|---|")
table = {"llama3-8b": "105 GB", "llama3-70b": "912 GB", "llama3-405b": "5.29 TB",
         "llama3-1t": "18 TB"}
for name, preset in dlio.PRESETS.items():
    r = load("ckpt-" + name)
    params, ranks = dlio.shards(*preset)
    total = sum(m + o for m, o in ranks)
    scaled = sum((max(1, int(m * 1e-5)) if m else 0) + (max(1, int(o * 1e-5)) if o else 0)
                 for m, o in ranks)
    if not r:
        print(f"| {name} | {len(ranks)} | run missing | - | - | {total / 2**30:,.2f} GiB | "
              f"{table[name]} |")
        continue
    saves = [p for p in r["phases"] if p["name"] == "save" and p["status"] == "ok"]
    restores = [p for p in r["phases"] if p["name"] == "restore" and p["status"] == "ok"]
    got = saves[0]["bytes"] if saves else 0
    print(f"| {name} | {len(ranks)} | {len(saves)} / {len(restores)} | {got:,} / {scaled:,} "
          f"| {'PASS' if got == scaled else 'MISS'} | {total / 2**30:,.2f} GiB | {table[name]} |")
