#!/usr/bin/env python3
"""Runs configs/faults.json (every workload under injected faults) and checks that each phase
ended as its faults say it must, with the errors counted by errno and the first one named with
its file and offset; that no temporary file is left behind; that the run exits non-zero; and
that the report validates against report/schema.json.

usage: python3 tests/fault_check.py AISTOR_BINARY SOURCE_DIR

Exit 0 with a one-line summary on success; 1 with the list of failures otherwise.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

RUN_TIMEOUT_S = 240
MiB = 1 << 20


def expect(fails, cond, what):
    if not cond:
        fails.append(what)


def by_errno(p):
    return p.get("errors", {}).get("by_errno", {})


def first_error(p):
    first = p.get("errors", {}).get("first") or [{}]
    return first[0]


def check(phases, data, fails):
    p = {ph["name"]: ph for ph in phases}

    def status(name, want):
        got = p[name]["status"]
        expect(fails, got == want, f"{name}: status {got!r}, want {want!r} ({p[name].get('error')})")

    def only(name, errno):
        errs = by_errno(p[name])
        expect(fails, list(errs) == [errno] and errs[errno] > 0,
               f"{name}: errors by errno {errs}, want {errno} only")
        return errs.get(errno, 0)

    def error_mentions(name, *parts):
        msg = p[name].get("error", "")
        for part in parts:
            expect(fails, part in msg, f"{name}: error {msg!r} does not say {part!r}")

    # raw: 16 MiB in 64 KiB blocks is 256 requests; each one either completed or failed.
    n = only("raw-read-eio-continue", "EIO")
    status("raw-read-eio-continue", "ok")
    expect(fails, p["raw-read-eio-continue"]["ops"] + n == 256,
           f"raw-read-eio-continue: {p['raw-read-eio-continue']['ops']} ops + {n} errors != 256")

    status("raw-read-eio-stop", "failed")
    expect(fails, only("raw-read-eio-stop", "EIO") == 1, "raw-read-eio-stop: more than one error")
    expect(fails, p["raw-read-eio-stop"]["ops"] == 80,
           f"raw-read-eio-stop: {p['raw-read-eio-stop']['ops']} ops before the error at 5 MiB, want 80")
    error_mentions("raw-read-eio-stop", "EIO", "aistor-raw-16M.0", "at offset 5242880")
    expect(fails, first_error(p["raw-read-eio-stop"]).get("offset") == 5 * MiB,
           "raw-read-eio-stop: errors.first[0] is not at 5 MiB")

    n = only("raw-read-short-continue", "ENODATA")
    status("raw-read-short-continue", "ok")
    expect(fails, p["raw-read-short-continue"]["ops"] + n == 256,
           "raw-read-short-continue: ops + short reads != 256")
    expect(fails, first_error(p["raw-read-short-continue"]).get("result") == 32768,
           "raw-read-short-continue: a short read did not deliver half")

    status("raw-read-latency", "ok")
    lat = p["raw-read-latency"]["latency_ns"]
    expect(fails, lat["max"] >= 50e6 and p["raw-read-latency"]["ops"] == 256,
           f"raw-read-latency: max latency {lat['max']} ns, want >= 50 ms over 256 ops")

    status("raw-write-enospc", "failed")
    only("raw-write-enospc", "ENOSPC")
    expect(fails, p["raw-write-enospc"]["ops"] == 4,
           f"raw-write-enospc: {p['raw-write-enospc']['ops']} writes landed, want the 4 before 4 MiB")
    error_mentions("raw-write-enospc", "ENOSPC", "write of", "at offset 4194304")

    status("raw-write-torn-verify", "failed")
    error_mentions("raw-write-torn-verify", "aistor-faults-verify.0", "offset 12582912: torn write",
                   "byte 131072 of 262144", "1 bad of 64 blocks")
    v = p["raw-write-torn-verify"]["workload_metrics"]["verify"]
    expect(fails, v["bad"]["torn"] == 1 and v["blocks_checked"] == 64,
           f"raw-write-torn-verify: verify tally {v}")

    # samples: every sample is delivered and verified or counted as an error.
    s = p["samples-eio-continue"]
    status("samples-eio-continue", "ok")
    n = only("samples-eio-continue", "EIO")
    m = s["workload_metrics"]
    expect(fails, m["samples"] + n == m["dataset"]["samples"],
           f"samples-eio-continue: {m['samples']} delivered + {n} failed != {m['dataset']['samples']}")
    expect(fails, m["verified_samples"] == m["samples"],
           "samples-eio-continue: not every delivered sample was verified")
    status("samples-short-stop", "failed")
    only("samples-short-stop", "ENODATA")
    error_mentions("samples-short-stop", "inside the sample")

    # checkpoint: a full disk fails the save and leaves no temporary file; a torn write is silent
    # at save time and caught by the verifying restore, with the file and offset.
    status("checkpoint-save-enospc", "failed")
    only("checkpoint-save-enospc", "ENOSPC")
    status("checkpoint-save-torn", "ok")
    status("checkpoint-restore-torn", "failed")
    error_mentions("checkpoint-restore-torn", "rank-00000.ckpt", "offset 8388608", "checksum mismatch")

    status("model-load-eio", "failed")
    only("model-load-eio", "EIO")
    error_mentions("model-load-eio", "EIO", ".safetensors", "at offset 16777216")

    status("pack-short", "failed")
    only("pack-short", "ENODATA")
    error_mentions("pack-short", "short read of")
    status("pack-enospc", "failed")
    only("pack-enospc", "ENOSPC")

    status("storm-eio", "failed")
    expect(fails, only("storm-eio", "EIO") == 3, "storm-eio: not one EIO per client")

    # replay: the raw read recorded, played back under the same fault, continued and stopped.
    status("replay-recorded", "ok")
    status("replay-eio-continue", "ok")
    expect(fails, only("replay-eio-continue", "EIO") == 1, "replay-eio-continue: not one EIO")
    expect(fails, p["replay-eio-continue"]["ops"] == 255,
           f"replay-eio-continue: {p['replay-eio-continue']['ops']} ops, want 255 and the error")
    status("replay-eio-stop", "failed")
    only("replay-eio-stop", "EIO")
    error_mentions("replay-eio-stop", "EIO", "aistor-raw-16M.0", "at offset 5242880")

    for pattern in ("**/*.tmp", "**/*.tmp.*"):
        left = glob.glob(os.path.join(data, pattern), recursive=True)
        expect(fails, not left, f"temporary files left behind: {left}")
    expect(fails, not glob.glob(os.path.join(data, "ckpt-enospc", "rank-*")),
           "a failed checkpoint save left rank files")


def main(argv):
    if len(argv) != 3:
        print("usage: fault_check.py AISTOR_BINARY SOURCE_DIR", file=sys.stderr)
        return 2
    binary, source = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    with open(os.path.join(source, "report", "schema.json")) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    fails = []
    tmp = tempfile.mkdtemp(prefix="aistor-faults-", dir="/var/tmp")
    try:
        report_path = os.path.join(tmp, "report.json")
        data = os.path.join(tmp, "data")
        cmd = [binary, "run", os.path.join(source, "configs", "faults.json"), "--dir", data,
               "--output", report_path]
        try:
            proc = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {' '.join(cmd)} ran past {RUN_TIMEOUT_S} s (a hang)")
            return 1
        expect(fails, proc.returncode == 1,
               f"aistor run exited {proc.returncode}, want 1 (failed phases):\n{proc.stderr[-2000:]}")
        if not os.path.exists(report_path):
            fails.append("no report was written")
        else:
            with open(report_path) as f:
                report = json.load(f)
            for e in validator.iter_errors(report):
                fails.append(f"schema: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")
            expect(fails, report["status"] == "failed", f"run status {report['status']!r}")
            expect(fails, len(report["phases"]) == 18, f"{len(report['phases'])} phases, want 18")
            if not fails:
                check(report["phases"], data, fails)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if fails:
        print(f"FAIL: {len(fails)} problem(s) under injected faults:")
        for f in fails:
            print(f"  - {f}")
        return 1
    print(f"ok: {len(report['phases'])} phases under injected faults ended as they must; "
          "the report validates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
