#!/usr/bin/env python3
"""Runs the quickstart suite and checks its report against report/schema.json and against the
facts the numbers must satisfy.

usage: python3 tests/schema_check.py AISTOR_BINARY SOURCE_DIR

Exit 0 with a one-line summary on success; 1 with the list of failures otherwise. The data and
the report live in a temporary directory under /var/tmp (O_DIRECT needs a real filesystem, which
/tmp may not be), removed at the end whatever happens.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema

RUN_TIMEOUT_S = 540
EXPECTED_ENGINES = ("pread", "odirect", "mmap", "io_uring")

# Sizes as core/units.cpp reads them.
_SIZE_FACTORS = {
    "": 1, "B": 1,
    "K": 1 << 10, "KiB": 1 << 10, "k": 1 << 10, "KB": 10**3, "kB": 10**3,
    "M": 1 << 20, "MiB": 1 << 20, "MB": 10**6,
    "G": 1 << 30, "GiB": 1 << 30, "GB": 10**9,
    "T": 1 << 40, "TiB": 1 << 40, "TB": 10**12,
}


def parse_size(value):
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(value))
    if not m or m.group(2) not in _SIZE_FACTORS:
        raise ValueError(f"not a size: {value!r}")
    return int(float(m.group(1)) * _SIZE_FACTORS[m.group(2)])


def schema_errors(validator, instance, limit=20):
    out = []
    for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        msg = e.message if len(e.message) < 300 else e.message[:300] + "..."
        out.append(f"schema: {path}: {msg}")
        if len(out) >= limit:
            out.append("schema: (more errors left out)")
            break
    return out


def base_name(phase_name):
    return phase_name.split("[", 1)[0]


def raw_expected_bytes(cfg):
    """Bytes a size-based raw phase must move, as workloads/raw_workload.cpp computes its goal;
    None when the phase is time-based or its block sizes vary (bssplit)."""
    if cfg.get("time_based") is True or "bssplit" in cfg:
        return None
    block = parse_size(cfg.get("block_size", 128 * 1024))
    size = parse_size(cfg["size"])
    threads = int(cfg.get("threads", 1))
    if cfg.get("io_size") not in (None, 0, "0"):
        per_worker = parse_size(cfg["io_size"])
    elif cfg.get("file_per_thread", True):
        per_worker = size
    else:
        per_worker = size // threads // block * block
    return per_worker * threads


def check_latency(where, lat, fails):
    if lat["count"] == 0:
        return
    chain = ["min", "p50", "p90", "p99", "p99_9", "p99_99", "max"]
    for a, b in zip(chain, chain[1:]):
        if not lat[a] <= lat[b]:
            fails.append(f"{where}: {a} {lat[a]} > {b} {lat[b]}")
    if not lat["min"] - 1e-6 <= lat["mean"] <= lat["max"] + 1e-6:
        fails.append(f"{where}: mean {lat['mean']} outside [min {lat['min']}, max {lat['max']}]")
    hist = lat.get("histogram")
    if hist is not None:
        buckets = hist["bucket_lower_ns_count"]
        total = sum(n for _, n in buckets)
        if total != lat["count"]:
            fails.append(f"{where}: histogram counts sum to {total}, count is {lat['count']}")
        lowers = [lower for lower, _ in buckets]
        if lowers != sorted(set(lowers)):
            fails.append(f"{where}: histogram buckets not strictly ascending")


def check_phase(p, cfg, fails):
    name = p["name"]
    if p["status"] != "ok":
        fails.append(f"{name}: status {p['status']!r} ({p.get('error', 'no error given')})")
    if "bytes" not in p:
        fails.append(f"{name}: no measurements (setup failed: {p.get('error')})")
        return
    rd, wr = p["read"], p["write"]
    if p["bytes"] != rd["bytes"] + wr["bytes"]:
        fails.append(f"{name}: bytes {p['bytes']} != read {rd['bytes']} + write {wr['bytes']}")
    if p["ops"] != rd["ops"] + wr["ops"]:
        fails.append(f"{name}: ops {p['ops']} != read {rd['ops']} + write {wr['ops']}")
    if p["ops"] == 0:
        fails.append(f"{name}: no operation completed")
    if p["latency_ns"]["count"] != p["ops"]:
        fails.append(f"{name}: latency_ns.count {p['latency_ns']['count']} != ops {p['ops']}")
    check_latency(f"{name}: latency_ns", p["latency_ns"], fails)
    for label, d in (("read", rd), ("write", wr)):
        if d["latency_ns"]["count"] != d["ops"]:
            fails.append(f"{name}: {label}.latency_ns.count {d['latency_ns']['count']} != "
                         f"{label}.ops {d['ops']}")
        if sum(d["sizes"].values()) != d["ops"]:
            fails.append(f"{name}: {label}.sizes sum to {sum(d['sizes'].values())}, "
                         f"{label}.ops is {d['ops']}")
        if sum(int(k) * n for k, n in d["sizes"].items()) != d["bytes"]:
            fails.append(f"{name}: {label}.sizes do not add up to {label}.bytes {d['bytes']}")
        check_latency(f"{name}: {label}.latency_ns", d["latency_ns"], fails)
    ts = p["timeseries"]
    if sum(ts["bytes"]) != p["bytes"]:
        fails.append(f"{name}: timeseries.bytes sum {sum(ts['bytes'])} != bytes {p['bytes']}")
    if sum(ts["ops"]) != p["ops"]:
        fails.append(f"{name}: timeseries.ops sum {sum(ts['ops'])} != ops {p['ops']}")
    if len(ts["bytes"]) != len(ts["ops"]):
        fails.append(f"{name}: timeseries.bytes and .ops differ in length")
    sizes_ops = sum(p["io_pattern"]["sizes"].values())
    if sizes_ops != p["ops"]:
        fails.append(f"{name}: io_pattern.sizes sum to {sizes_ops}, ops is {p['ops']}")
    if p["duration_s"] > 0:
        rate = p["bytes"] / p["duration_s"]
        if abs(p["bytes_per_s"] - rate) > 1e-6 * max(rate, 1):
            fails.append(f"{name}: bytes_per_s {p['bytes_per_s']} != bytes/duration_s {rate}")
    if len(p["worker_ends"]) != p["workers"]:
        fails.append(f"{name}: {len(p['worker_ends'])} worker_ends for {p['workers']} workers")
    if p["errors"]["count"] != 0:
        fails.append(f"{name}: {p['errors']['count']} I/O errors: {p['errors']['by_errno']}")

    if cfg is None:
        fails.append(f"{name}: no phase of that name in config.phases")
        return
    if cfg.get("engine", {}).get("name", "pread") != p["engine"]["name"]:
        fails.append(f"{name}: engine {p['engine']['name']!r} but config says "
                     f"{cfg.get('engine', {}).get('name', 'pread')!r}")
    time_based = cfg.get("time_based") is True
    ends = set(p["worker_ends"])
    if time_based and ends != {"deadline"}:
        fails.append(f"{name}: time-based phase ended {sorted(ends)}, expected deadline")
    if not time_based and not ends <= {"limit", "done"}:
        fails.append(f"{name}: size-based phase ended {sorted(ends)}, expected limit")
    if cfg.get("workload") == "raw":
        try:
            expected = raw_expected_bytes(cfg)
        except (KeyError, ValueError) as e:
            fails.append(f"{name}: cannot read the phase's config: {e}")
            expected = None
        if expected is not None and p["bytes"] != expected:
            fails.append(f"{name}: moved {p['bytes']} bytes, the config asks for {expected}")


def check_named_phase(phases, configs, base, summary, fails):
    found = [p for p in phases if base_name(p["name"]) == base]
    if not found:
        fails.append(f"no phase named {base}[...] in the report")
        return 0
    for p in found:
        cfg = configs.get(p["name"])
        if cfg is None or "bytes" not in p:
            continue  # reported by check_phase
        block = parse_size(cfg["block_size"])
        size = parse_size(cfg["size"])
        if p["ops"] != size // block:
            fails.append(f"{p['name']}: ops {p['ops']} != size/block_size {size // block}")
        if p["bytes"] != size:
            fails.append(f"{p['name']}: bytes {p['bytes']} != size {size}")
        if p["io_pattern"]["summary"] != summary:
            fails.append(f"{p['name']}: io_pattern.summary {p['io_pattern']['summary']!r}, "
                         f"expected {summary!r}")
    return len(found)


def semantic_failures(report):
    fails = []
    if report["status"] != "ok":
        fails.append(f"report status {report['status']!r}")
    phases = report["phases"]
    if not phases:
        fails.append("no phases")
    configs = {}
    for c in report["config"]["phases"]:
        configs.setdefault(c.get("name", c.get("workload")), c)
    for p in phases:
        check_phase(p, configs.get(p["name"]), fails)
    engines = {p["engine"]["name"] for p in phases}
    for e in EXPECTED_ENGINES:
        if e not in engines:
            fails.append(f"engine {e} ran in no phase (engines seen: {sorted(engines)})")
    check_named_phase(phases, configs, "seq-read-128k", "r=128K seq", fails)
    check_named_phase(phases, configs, "seq-write-1m", "w=1M seq", fails)
    return fails


def first_measured(report):
    for i, p in enumerate(report["phases"]):
        if "bytes" in p:
            return i
    raise AssertionError("no measured phase to break")


def broken_copies(report):
    """(what, report) pairs that the schema must reject."""
    i = first_measured(report)
    cases = []

    def case(what, mutate):
        r = copy.deepcopy(report)
        mutate(r, r["phases"][i])
        cases.append((what, r))

    case("latency_ns.p50 is a string", lambda r, p: p["latency_ns"].__setitem__("p50", "fast"))
    case("status is 'weird'", lambda r, p: r.__setitem__("status", "weird"))
    case("phase status is 'weird'", lambda r, p: p.__setitem__("status", "weird"))
    case("schema is aistor.report/2", lambda r, p: r.__setitem__("schema", "aistor.report/2"))
    case("negative read.bytes", lambda r, p: p["read"].__setitem__("bytes", -1))
    case("bytes is a float string", lambda r, p: p.__setitem__("bytes", "268435456"))
    case("latency_ns lacks p99", lambda r, p: p["latency_ns"].pop("p99"))
    case("latency_ns has an extra key", lambda r, p: p["latency_ns"].__setitem__("p42", 1))
    case("io_pattern has an extra key", lambda r, p: p["io_pattern"].__setitem__("x", 1))
    case("io_pattern.sizes key is not a number",
         lambda r, p: p["io_pattern"]["sizes"].__setitem__("4k", 1))
    case("timeseries.interval_s is 0", lambda r, p: p["timeseries"].__setitem__("interval_s", 0))
    case("histogram bucket has three numbers",
         lambda r, p: p["latency_ns"]["histogram"]["bucket_lower_ns_count"].append([1, 2, 3]))
    case("sequential_fraction above 1",
         lambda r, p: p["io_pattern"].__setitem__("sequential_fraction", 1.5))
    case("NaN mean written as null", lambda r, p: p["latency_ns"].__setitem__("mean", None))
    case("measured phase lacks cpu", lambda r, p: p.pop("cpu"))
    case("cpu has an extra key", lambda r, p: p["cpu"].__setitem__("idle_s", 0))
    case("measured phase has a stray key", lambda r, p: p.__setitem__("bytes_per_sec", 1.0))
    case("phase failed without an error", lambda r, p: (p.__setitem__("status", "failed"),
                                                         r.__setitem__("status", "failed")))
    case("ok report with a failed phase",
         lambda r, p: (p.__setitem__("status", "failed"), p.__setitem__("error", "EIO")))
    case("worker_ends has an unknown end", lambda r, p: p["worker_ends"].append("finished"))
    case("cache policy unknown", lambda r, p: p["cache"].__setitem__("policy", "lukewarm"))
    case("engine without a name", lambda r, p: p["engine"].pop("name"))
    case("errors.first entry lacks errno", lambda r, p: p["errors"]["first"].append(
        {"error": "x", "op": "read", "file": "f", "offset": 0, "length": 1, "result": -5}))
    case("tool has an extra key", lambda r, p: r["tool"].__setitem__("linker", "ld"))
    case("verdict names an unknown bound",
         lambda r, p: p["verdict"].__setitem__("bound", "the weather"))
    case("device share above 1", lambda r, p: p["verdict"].__setitem__("device_share", 1.5))
    case("a disk without busy_fraction",
         lambda r, p: p["devices"]["disks"][0].pop("busy_fraction") if p["devices"]["disks"]
         else p["devices"].__setitem__("disks", [{"name": "sda"}]))
    case("host.cores is 0", lambda r, p: r["host"].__setitem__("cores", 0))
    case("config_sha256 is not hex", lambda r, p: r.__setitem__("config_sha256", "xyz"))
    case("started_at is not ISO 8601 UTC",
         lambda r, p: r.__setitem__("started_at", "22/11/2026 10:00"))
    case("target lacks free_bytes", lambda r, p: r["targets"][0].pop("free_bytes")
         if r["targets"] else r.__setitem__("targets", [{"path": 1}]))
    case("setup-failed phase lacks error",
         lambda r, p: r["phases"].__setitem__(i, setup_failed(p, with_error=False)))
    return cases


def setup_failed(p, with_error=True):
    """The form run_plan writes when a phase's setup throws (workloads/runner.cpp)."""
    q = {"name": p["name"], "workload": "raw", "repetition": p["repetition"],
         "params": p["params"], "dir": p["dir"], "status": "failed",
         "engine": {"name": p["engine"]["name"], "queue_depth": 1}, "notes": []}
    if with_error:
        q["error"] = "open: No such file or directory"
    return q


def good_copies(report):
    """(what, report) pairs that the schema must accept: shapes the quickstart does not make."""
    i = first_measured(report)
    cases = []
    r = copy.deepcopy(report)
    r["phases"][i] = setup_failed(r["phases"][i])
    r["status"] = "failed"
    cases.append(("a setup-failed phase in a failed run", r))
    r = copy.deepcopy(report)
    r["status"] = "interrupted"
    r["phases"][i]["status"] = "interrupted"
    r["phases"] = r["phases"][: i + 1]
    cases.append(("an interrupted run", r))
    r = copy.deepcopy(report)
    p = r["phases"][i]
    for k in ("storage_read_bytes", "storage_write_bytes", "read_amplification"):
        p.pop(k, None)
    p["notes"].append("/proc/self/io unreadable: storage bytes unknown")
    p["status"] = "failed"
    p["error"] = "I/O error (see errors.first)"
    p["errors"] = {"count": 1, "by_errno": {"EIO": 1}, "first": [
        {"errno": 5, "error": "Input/output error", "op": "read", "file": "/x", "offset": 0,
         "length": 4096, "result": -5}]}
    p["workload_metrics"] = {"anything": [1, 2]}
    r["status"] = "failed"
    r["targets"].append({"path": "elsewhere", "error": "realpath: No such file"})
    cases.append(("a failed measured phase, no /proc/self/io, a target error", r))
    return cases


def main(argv):
    if len(argv) != 3:
        print("usage: schema_check.py AISTOR_BINARY SOURCE_DIR", file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    source = os.path.abspath(argv[2])
    config = os.path.join(source, "configs", "quickstart.json")
    schema_path = os.path.join(source, "report", "schema.json")
    failures = []

    with open(schema_path) as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"FAIL: {schema_path} is not a valid draft 2020-12 schema: {e.message}")
        return 1
    validator = jsonschema.Draft202012Validator(schema)

    tmp = tempfile.mkdtemp(prefix="aistor-schema-", dir="/var/tmp")
    try:
        report_path = os.path.join(tmp, "report.json")
        cmd = [binary, "run", config, "--dir", os.path.join(tmp, "data"), "--output", report_path]
        try:
            proc = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {' '.join(cmd)} ran past {RUN_TIMEOUT_S} s")
            return 1
        if proc.returncode != 0:
            failures.append(f"aistor run exited {proc.returncode}:\n{proc.stdout[-3000:]}"
                            f"{proc.stderr[-3000:]}")
        if not os.path.exists(report_path):
            failures.append("no report was written")
        else:
            with open(report_path) as f:
                report = json.load(f)
            failures += schema_errors(validator, report)
            if not failures:
                failures += semantic_failures(report)
            if not failures:
                broken = broken_copies(report)
                for what, bad in broken:
                    if validator.is_valid(bad):
                        failures.append(f"schema accepts a broken report: {what}")
                good = good_copies(report)
                for what, ok in good:
                    for err in schema_errors(validator, ok, limit=5):
                        failures.append(f"schema rejects {what}: {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if failures:
        print(f"FAIL: {len(failures)} problem(s) with the quickstart report:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"ok: quickstart report valid against report/schema.json; {len(report['phases'])} "
          f"phases, {len(validator.schema['$defs'])} schema defs, {len(broken)} broken copies "
          f"rejected, {len(good)} other shapes accepted (jsonschema {jsonschema_version()})")
    return 0


def jsonschema_version():
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:  # noqa: BLE001 - the version is only informative
        return "?"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
