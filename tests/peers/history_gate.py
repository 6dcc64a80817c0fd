#!/usr/bin/env python3
"""The history gate against the pairwise gate on a generated history (issue 29's second goal).

Writes NIGHTS nightly reports of one machine (the skeleton of a real report: its tool, host and
targets, so `aistor compare`'s guard accepts them) whose phase "seq-read" has a throughput with
3 % night-to-night noise (each night's level x (1 + N(0, 0.03)), its 7 repetitions 1 % apart
around it) and steps of -5 %, -10 % and -20 % at known nights. Then, night by night as a nightly
job would: `aistor history` over the nights so far (exit 1: the newest night starts a
regression) and `aistor compare` of the night before against tonight (exit 1: a regression).
An alarm within [step, step + 2] nights finds that step; any other alarm is false.
Usage: history_gate.py AISTOR SKELETON.json OUT_DIR [SEED]"""
import json
import os
import random
import subprocess
import sys

NIGHTS = 60
STEPS = {15: 0.95, 30: 0.90, 45: 0.80}  # night -> factor on the level from that night on
BASE = 2.0e9
NOISE = 0.03
REP_NOISE = 0.01
REPS = 7


def main():
    aistor, skeleton_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261207
    rng = random.Random(seed)
    skeleton = json.load(open(skeleton_path))
    template = next(p for p in skeleton["phases"] if p.get("status") == "ok")
    nights_dir = os.path.join(out, "nights")
    os.makedirs(nights_dir, exist_ok=True)
    level, paths, night_values = 1.0, [], []
    for n in range(NIGHTS):
        level *= STEPS.get(n, 1.0)
        night = BASE * level * (1 + rng.gauss(0, NOISE))
        night_values.append(night)
        phases = []
        for r in range(REPS):
            p = json.loads(json.dumps(template))
            rate = night * (1 + rng.gauss(0, REP_NOISE))
            p.update({"name": "seq-read", "repetition": r, "bytes_per_s": rate,
                      "iops": rate / 131072})
            p["latency_ns"]["p50"] = 500000.0
            p["latency_ns"]["p99"] = 900000.0
            phases.append(p)
        report = {k: v for k, v in skeleton.items() if k not in ("phases", "repetitions", "searches")}
        report.update({"phases": phases, "repetitions": [], "searches": [],
                       "started_at": f"2026-10-{1 + n // 24:02d}T{n % 24:02d}:00:00Z"})
        path = os.path.join(nights_dir, f"night-{n:02d}.json")
        with open(path, "w") as f:
            json.dump(report, f)
        paths.append(path)

    def alarms(cmd_for):
        found = []
        for n in range(1, NIGHTS):
            rc = subprocess.run(cmd_for(n), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True).returncode
            if rc == 2:
                sys.exit(f"history_gate: {' '.join(cmd_for(n))} exited 2")
            if rc == 1:
                found.append(n)
        return found

    page = os.path.join(out, "history.html")
    history = alarms(lambda n: [aistor, "history", *paths[:n + 1], "-o", page])
    pairwise = alarms(lambda n: [aistor, "compare", paths[n - 1], paths[n]])
    # The page over every night, for the record.
    subprocess.run([aistor, "history", nights_dir, "-o", page], stdout=subprocess.DEVNULL)

    def judge(found):
        rows, false = [], [n for n in found if not any(s <= n <= s + 2 for s in STEPS)]
        for s, f in STEPS.items():
            hits = [n for n in found if s <= n <= s + 2]
            rows.append((s, f, hits[0] - s if hits else None))
        return rows, false

    lines = ["# History gate vs pairwise compare on a generated history", "",
             f"{NIGHTS} nights, throughput noise {NOISE * 100:.0f} % night to night ({REPS} "
             f"repetitions {REP_NOISE * 100:.0f} % apart), seed {seed}; steps at nights "
             + ", ".join(f"{s} ({(f - 1) * 100:+.0f} %)" for s, f in STEPS.items()) + ".", "",
             "| gate | step | found after (nights) | goal |", "|---|---|---|---|"]
    ok = True
    summary = {}
    for name, found in (("aistor history", history), ("aistor compare (pairwise)", pairwise)):
        rows, false = judge(found)
        summary[name] = {"alarms": found, "false_alarms": false}
        for s, f, delay in rows:
            need = f <= 0.90
            good = delay is not None and delay <= 2
            status = ("PASS" if good else "MISS") if need else "-"
            if name == "aistor history" and need and not good:
                ok = False
            lines.append(f"| {name} | night {s} ({(f - 1) * 100:+.0f} %) | "
                         f"{'not found' if delay is None else delay} | {status} |")
        good = len(false) <= 1
        if name == "aistor history" and not good:
            ok = False
        lines.append(f"| {name} | false alarms | {len(false)} of {NIGHTS - 1} nights "
                     f"{false if false else ''} | {'PASS' if good else 'FAIL'} (<= 1) |")
    lines += ["", f"Alarm nights: history {history}; pairwise {pairwise}.",
              "", f"History gate goal: {'PASS' if ok else 'FAIL'}."]
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "alarms.json"), "w") as f:
        json.dump({"seed": seed, "night_values": night_values, **summary}, f, indent=1)
    print("\n".join(lines))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
