#!/usr/bin/env python3
"""fio parity check: run the same jobs with aistor and with fio on one file and compare.

Both tools read the same file (DIR/parity.0, laid out once by aistor), with the same block
size, queue depth, engine family, size and runtime, alternating aistor, fio, aistor, fio ...
for N pairs. The summary compares median throughput and latency percentiles per job.

Standard library only. See tests/peers/README.md for what it compares and why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fio_parity_jobs import (CACHED_JOBS, DIRECT_JOBS, FILE_BASE, ORDER_TEXT,  # noqa: E402
                             Job, RunResult, die, human_size, load_json_loose, parse_size,
                             resident_fraction, run_capture, warm_file)
from fio_parity_summary import fmt_us, summarize  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


class Parity:
    def __init__(self, args):
        self.a = args
        self.out: Path = args.out
        self.file = args.dir / f"{FILE_BASE}.0"
        self.commands = open(self.out / "commands.txt", "w")
        self.failures: list[str] = []

    # -- logging of commands ---------------------------------------------------------------
    def record(self, what: str, cmd: list[str], cwd: Path | None = None) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        where = f"  (cwd {cwd})" if cwd else ""
        self.commands.write(f"# {stamp} {what}{where}\n{shlex.join(cmd)}\n\n")
        self.commands.flush()

    def execute(self, what: str, cmd: list[str], log: Path, timeout: float) -> int:
        self.record(what, cmd)
        with open(log, "w") as lf:
            try:
                p = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT, timeout=timeout)
                return p.returncode
            except subprocess.TimeoutExpired:
                lf.write(f"\nfio_parity: timed out after {timeout:.0f}s\n")
                return 124
            except OSError as e:
                lf.write(f"\nfio_parity: cannot run: {e}\n")
                return 127

    def timeout(self) -> float:
        return 3 * (self.a.runtime + self.a.ramp) + 600

    # -- aistor ------------------------------------------------------------------------------
    def aistor_engine(self, job: Job) -> dict:
        eng = dict(job.aistor_engine)
        if eng["name"] == "io_uring" and self.a.uring_mode == "plain":
            eng["fixed_buffers"] = False
            eng["registered_files"] = False
        return eng

    def aistor_config(self, job: Job, cache: str) -> dict:
        phase = {
            "name": job.name,
            "workload": "raw",
            "rw": job.rw,
            "block_size": job.bs,
            "size": self.a.size,
            "file_name": FILE_BASE,
            "runtime": f"{self.a.runtime}s",
            "time_based": True,
            "cache": cache,
            "engine": self.aistor_engine(job),
        }
        if self.a.ramp:
            phase["ramp"] = f"{self.a.ramp}s"
        if self.a.vary_seed:
            phase["seed"] = self.next_seed()
        return {"description": f"fio parity: {job.name}", "dir": str(self.a.dir),
                "phases": [phase]}

    def run_aistor(self, job: Job, stem: Path, cache: str) -> RunResult:
        cfg = stem.with_name(stem.name + "-aistor.config.json")
        report = stem.with_name(stem.name + "-aistor.json")
        log = stem.with_name(stem.name + "-aistor.log")
        cfg.write_text(json.dumps(self.aistor_config(job, cache), indent=2) + "\n")
        # The directory comes from the config's "dir" (self-contained configs).
        cmd = [str(self.a.aistor), "run", str(cfg), "--output", str(report)]
        rc = self.execute(f"aistor {job.name}", cmd, log, self.timeout())
        if rc != 0:
            return RunResult(False, error=f"aistor exited {rc} (see {log})")
        try:
            r = json.loads(report.read_text())
            ph = r["phases"][0]
            lat = ph["latency_ns"]
            res = RunResult(True, ph["bytes_per_s"], ph["iops"], lat["p50"], lat["p99"],
                            lat["mean"])
            res.resident_before = ph.get("cache", {}).get("resident_fraction_before")
            res.extra = {"engine": ph.get("engine"), "notes": ph.get("notes"),
                         "errors": ph.get("errors", {}).get("count"),
                         "achieved_queue_depth": ph.get("achieved_queue_depth"),
                         "duration_s": ph.get("duration_s"), "cpu": ph.get("cpu"),
                         "build_type": r.get("tool", {}).get("build_type")}
            if r.get("status") != "ok" or ph.get("status") != "ok":
                res.ok = False
                res.error = f"aistor report status {r.get('status')}/{ph.get('status')}"
            elif res.extra["errors"]:
                res.ok = False
                res.error = f"aistor recorded {res.extra['errors']} I/O errors"
            return res
        except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
            return RunResult(False, error=f"cannot read aistor report {report}: {e}")

    # -- fio ---------------------------------------------------------------------------------
    def fio_command(self, job: Job, out_json: Path) -> list[str]:
        cmd = [self.a.fio, f"--name={job.name}", f"--filename={self.file}",
               f"--ioengine={job.fio_engine}", f"--rw={job.rw}", f"--bs={job.bs}",
               f"--iodepth={job.iodepth}", f"--direct={1 if job.direct else 0}",
               f"--size={self.a.size}", f"--runtime={self.a.runtime}", "--time_based",
               "--lat_percentiles=1", "--output-format=json", f"--output={out_json}"]
        if self.a.ramp:
            cmd.append(f"--ramp_time={self.a.ramp}")
        if not job.direct:
            cmd.append("--invalidate=0")  # keep the warmed page cache
        if self.a.vary_seed:
            cmd.append(f"--randseed={self.next_seed()}")
        return cmd

    def next_seed(self) -> int:
        # Every run a new random sequence, so neither tool re-reads the blocks its previous run
        # left in a cache below the guest (virtual disks cache on the host).
        self.seed_counter = getattr(self, "seed_counter", 1000) + 1
        return self.seed_counter

    def run_fio(self, job: Job, stem: Path) -> RunResult:
        out_json = stem.with_name(stem.name + "-fio.json")
        log = stem.with_name(stem.name + "-fio.log")
        cmd = self.fio_command(job, out_json)
        resident = resident_fraction(self.file)
        rc = self.execute(f"fio {job.name}", cmd, log, self.timeout())
        if rc != 0:
            return RunResult(False, error=f"fio exited {rc} (see {log})")
        try:
            j = load_json_loose(out_json)
            fj = j["jobs"][0]
            rd = fj["read"]
            # Total latency (submission to completion) is what aistor's latency_ns measures;
            # --lat_percentiles=1 makes fio report percentiles for it. Fall back to clat.
            src = "lat_ns"
            lat = rd.get("lat_ns", {})
            if "percentile" not in lat:
                src, lat = "clat_ns", rd.get("clat_ns", {})
            pct = lat.get("percentile", {})
            res = RunResult(True, float(rd["bw_bytes"]), float(rd["iops"]),
                            pct.get("50.000000"), pct.get("99.000000"), lat.get("mean"))
            res.resident_before = resident
            res.extra = {"latency_source": src, "usr_cpu": fj.get("usr_cpu"),
                         "sys_cpu": fj.get("sys_cpu"), "runtime_ms": rd.get("runtime"),
                         "total_ios": rd.get("total_ios"),
                         "clat_p50": rd.get("clat_ns", {}).get("percentile", {}).get("50.000000"),
                         "slat_mean": rd.get("slat_ns", {}).get("mean")}
            if fj.get("error"):
                res.ok = False
                res.error = f"fio job error {fj.get('error')}"
            elif not rd.get("total_ios"):
                res.ok = False
                res.error = "fio did no reads"
            return res
        except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
            return RunResult(False, error=f"cannot read fio output {out_json}: {e}")

    # -- the file ----------------------------------------------------------------------------
    def lay_out(self) -> None:
        self.a.dir.mkdir(parents=True, exist_ok=True)
        d = self.out / "layout"
        d.mkdir()
        have = self.file.stat().st_size if self.file.exists() else 0
        if have >= self.a.size:
            print(f"reusing {self.file} ({human_size(have)})")
            (d / "reused.txt").write_text(f"{self.file} existed with {have} bytes\n")
            return
        print(f"laying out {self.file} ({human_size(self.a.size)}) with aistor ...")
        # Any aistor read phase lays out a missing or short file; read just 1 MiB of it.
        cfg = {"description": "fio parity: lay out the shared file", "dir": str(self.a.dir),
               "phases": [{"name": "layout", "workload": "raw", "rw": "read",
                           "block_size": "1MiB", "size": self.a.size, "io_size": "1MiB",
                           "file_name": FILE_BASE, "cache": "as-is",
                           "engine": {"name": "pread"}}]}
        (d / "layout.config.json").write_text(json.dumps(cfg, indent=2) + "\n")
        cmd = [str(self.a.aistor), "run", str(d / "layout.config.json"), "--output",
               str(d / "layout.report.json")]
        rc = self.execute("aistor lay out", cmd, d / "layout.log", 3600)
        size = self.file.stat().st_size if self.file.exists() else 0
        if rc != 0 or size < self.a.size:
            die(f"laying out {self.file} failed (rc {rc}, {size} bytes); see {d}/layout.log", 1)
        os.sync()

    # -- machine description -----------------------------------------------------------------
    def machine_txt(self) -> None:
        lines = []

        def sec(title, body):
            lines.append(f"== {title}\n{body}\n")

        sec("date (UTC)", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        sec("uname -a", run_capture(["uname", "-a"]))
        lscpu = run_capture(["lscpu"])
        model = [ln for ln in lscpu.splitlines()
                 if ln.startswith(("Model name", "CPU(s):", "Thread(s) per core", "Socket(s)"))]
        sec("lscpu (model)", "\n".join(model) or lscpu)
        gov = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
        sec("cpufreq governor", gov.read_text().strip() if gov.exists() else "(none exposed)")
        sec("memory", run_capture(["free", "-b"]))
        sec(f"findmnt -T {self.a.dir}", run_capture(
            ["findmnt", "-T", str(self.a.dir), "-o", "TARGET,SOURCE,FSTYPE,OPTIONS"]))
        source = run_capture(["findmnt", "-n", "-T", str(self.a.dir), "-o", "SOURCE"])
        sec(f"lsblk {source}", run_capture(
            ["lsblk", "-s", "-o", "NAME,TYPE,SIZE,MODEL,ROTA,SCHED,LOG-SEC,PHY-SEC,RA,MIN-IO",
             source]))
        sec("fio --version", run_capture([self.a.fio, "--version"]))
        sec("aistor binary", f"{self.a.aistor}\n" + run_capture(["ls", "-l", str(self.a.aistor)]))
        sec("aistor git sha (git rev-parse HEAD)",
            run_capture(["git", "-C", str(REPO), "rev-parse", "HEAD"]))
        sec("test file", f"{self.file}\n" + run_capture(["ls", "-ls", str(self.file)]))
        (self.out / "machine.txt").write_text("\n".join(lines))

    # -- main loop ---------------------------------------------------------------------------
    def run(self, jobs: list[Job]) -> dict:
        results: dict[str, list[tuple[RunResult, RunResult]]] = {}
        cache = "warm" if self.a.cached else "cold"
        for job in jobs:
            jd = self.out / "runs" / job.name
            jd.mkdir(parents=True)
            pairs = []
            for k in range(1, self.a.warmup_pairs + 1):  # discarded, not in the summary
                stem = jd / f"warmup{k}"
                for tool in ("aistor", "fio"):
                    if self.a.cached:
                        warm_file(self.file, self.a.size)
                    r = (self.run_aistor(job, stem, cache) if tool == "aistor"
                         else self.run_fio(job, stem))
                    self.progress(job, k, tool + "(warm-up)", r)
                    if not r.ok:
                        self.failures.append(f"{job.name} warm-up {k} {tool}: {r.error}")
            if any(f.startswith(job.name + " ") for f in self.failures):
                results[job.name] = pairs
                continue
            for k in range(1, self.a.pairs + 1):
                stem = jd / f"pair{k}"
                if self.a.cached:
                    warm_file(self.file, self.a.size)
                # --order ab: aistor first in every pair (A B A B ...); ba: fio first;
                # abba: who goes first alternates, so a drift over time favours neither tool.
                first = "fio" if (self.a.order == "ba" or
                                  (self.a.order == "abba" and k % 2 == 0)) else "aistor"
                got = {}
                for tool in (first, "fio" if first == "aistor" else "aistor"):
                    if self.a.cached:
                        warm_file(self.file, self.a.size)
                    got[tool] = (self.run_aistor(job, stem, cache) if tool == "aistor"
                                 else self.run_fio(job, stem))
                    self.progress(job, k, tool, got[tool])
                ra, rf = got["aistor"], got["fio"]
                pairs.append((ra, rf))
                bad = [f"{job.name} pair {k} {tool}: {r.error}"
                       for tool, r in (("aistor", ra), ("fio", rf)) if not r.ok]
                if bad:
                    self.failures.extend(bad)
                    print(f"  skipping the rest of {job.name}", file=sys.stderr)
                    break
            results[job.name] = pairs
        return results

    @staticmethod
    def progress(job: Job, k: int, tool: str, r: RunResult) -> None:
        if r.ok:
            print(f"  {job.name} pair {k} {tool:6s}: {r.bytes_per_s / 1e6:9.1f} MB/s "
                  f"{r.iops:10.0f} IOPS  p50 {fmt_us(r.p50_ns)}  p99 {fmt_us(r.p99_ns)}",
                  flush=True)
        else:
            print(f"  {job.name} pair {k} {tool:6s}: FAILED: {r.error}", file=sys.stderr,
                  flush=True)


# ----------------------------------------------------------------------------------------------
# summary


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="fio_parity",
        description="Compare aistor with fio on the same file, alternating aistor/fio runs.")
    p.add_argument("--aistor", type=Path, default=None,
                   help="aistor binary (default build/release/apps/aistor in the repo)")
    p.add_argument("--fio", default="fio", help="fio binary (default: fio on PATH)")
    p.add_argument("--dir", type=Path, default=None,
                   help="directory of the shared test file (default ./aistor-data/parity in the "
                        "repo); the file is DIR/parity.0")
    p.add_argument("--size", type=parse_size, default=None,
                   help="file size / region read (default 2GiB; 256MiB with --quick)")
    p.add_argument("--runtime", type=int, default=None,
                   help="seconds per run (default 10; 1 with --quick)")
    p.add_argument("--ramp", type=int, default=0,
                   help="ramp seconds excluded from the stats, both tools (default 0)")
    p.add_argument("--pairs", type=int, default=None,
                   help="aistor/fio pairs per job (default 3, at least 3 unless --quick; "
                        "1 with --quick)")
    p.add_argument("--warmup-pairs", type=int, default=0,
                   help="discarded aistor/fio pairs run before the measured ones, per job "
                        "(default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/fio-parity/<UTC timestamp>)")
    p.add_argument("--jobs", default=None,
                   help="comma-separated subset of job names (or unique substrings); "
                        "--list-jobs shows them")
    p.add_argument("--cached", action="store_true",
                   help="page-cache-resident file, buffered 4 KiB random reads: pread/psync, "
                        "io_uring QD1 and QD32, mmap")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--uring-plain", dest="uring_mode", action="store_const", const="plain",
                   help="aistor io_uring without fixed buffers / registered files, like fio's "
                        "defaults (the default)")
    g.add_argument("--uring-aistor-defaults", dest="uring_mode", action="store_const",
                   const="aistor-defaults",
                   help="keep aistor's io_uring defaults (fixed_buffers and registered_files on)")
    p.set_defaults(uring_mode="plain")
    p.add_argument("--order", choices=sorted(ORDER_TEXT), default="abba",
                   help="who runs first in a pair: ab (aistor), ba (fio), or abba (the default: "
                        "alternating, so a drift over the run favours neither)")
    p.add_argument("--vary-seed", action="store_true",
                   help="a different random seed for every run of either tool (default: each "
                        "tool repeats its own sequence, as fio's randrepeat=1 does)")
    p.add_argument("--quick", action="store_true",
                   help="development smoke test: 1 pair, 1 s, 256 MiB unless given")
    p.add_argument("--list-jobs", action="store_true", help="list the jobs and exit")
    a = p.parse_args(argv)

    if a.list_jobs:
        for j in DIRECT_JOBS + CACHED_JOBS:
            print(f"{j.name:34s} fio {j.fio_engine} qd{j.iodepth} {j.rw} bs={j.bs} "
                  f"direct={int(j.direct)}  aistor {json.dumps(j.aistor_engine)}"
                  + ("  (--cached)" if j in CACHED_JOBS else ""))
        sys.exit(0)

    a.aistor = (a.aistor or REPO / "build/release/apps/aistor").absolute()
    a.dir = (a.dir or REPO / "aistor-data/parity").absolute()
    if a.size is None:
        a.size = 256 * 1024**2 if a.quick else 2 * 1024**3
    if a.runtime is None:
        a.runtime = 1 if a.quick else 10
    if a.pairs is None:
        a.pairs = 1 if a.quick else 3
    if a.pairs < 1 or (a.pairs < 3 and not a.quick):
        p.error("--pairs must be at least 3 (use --quick for a smoke test)")
    if a.runtime < 1 or a.ramp < 0 or a.warmup_pairs < 0:
        p.error("--runtime must be >= 1, --ramp and --warmup-pairs >= 0")
    if a.size % (128 * 1024) != 0:
        p.error("--size must be a multiple of 128KiB")
    if a.out is None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        a.out = REPO / "results/fio-parity" / stamp
    a.out = a.out.absolute()
    if not os.access(a.aistor, os.X_OK):
        p.error(f"no aistor binary at {a.aistor} (build it, or pass --aistor)")
    if not shutil.which(a.fio):
        p.error(f"no fio binary {a.fio!r}")
    return a


def select_jobs(args) -> list[Job]:
    pool = CACHED_JOBS if args.cached else DIRECT_JOBS
    if not args.jobs:
        return list(pool)
    chosen = []
    for want in (w.strip() for w in args.jobs.split(",") if w.strip()):
        exact = [j for j in pool if j.name == want]
        hits = exact or [j for j in pool if want in j.name]
        if not hits:
            die(f"--jobs: {want!r} matches none of: " + ", ".join(j.name for j in pool))
        chosen += [j for j in hits if j not in chosen]
    return [j for j in pool if j in chosen]  # keep the canonical order


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    jobs = select_jobs(args)
    try:
        args.out.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        die(f"output directory {args.out} already exists")
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    settings["jobs"] = [j.name for j in jobs]
    settings["argv"] = sys.argv
    (args.out / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    print(f"fio parity: {len(jobs)} job(s) x {args.pairs} pair(s), {args.runtime}s each, "
          f"{human_size(args.size)}, {'cached' if args.cached else 'direct'}, "
          f"io_uring {args.uring_mode}; output in {args.out}")

    par = Parity(args)
    par.lay_out()
    par.machine_txt()
    if args.cached:
        warm_file(par.file, args.size)
        frac = resident_fraction(par.file)
        if frac is not None and frac < 0.99:
            print(f"warning: only {frac:.0%} of {par.file} stays in the page cache",
                  file=sys.stderr)
    t0 = time.monotonic()
    results = par.run(jobs)
    md, data = summarize(args, jobs, results, par.failures)
    data["wall_s"] = time.monotonic() - t0
    (args.out / "summary.md").write_text(md)
    (args.out / "summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    print()
    print(md)
    print(f"(results in {args.out})")
    return 1 if par.failures else 0


if __name__ == "__main__":
    sys.exit(main())
