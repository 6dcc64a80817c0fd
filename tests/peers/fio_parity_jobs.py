"""fio parity: the jobs both tools run, and the helpers the runner and summary share."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

FILE_BASE = "parity"  # aistor's file_name; the file is DIR/parity.0

# Goals: aistor throughput at least 97% of fio's, aistor p50 latency within +-10% of fio's.
GOAL_TPUT_RATIO = 0.97
GOAL_P50_TOL = 0.10
ORDER_TEXT = {"ab": "aistor→fio in every pair", "ba": "fio→aistor in every pair",
              "abba": "alternating (aistor→fio, then fio→aistor, ...)"}


@dataclass
class Job:
    name: str
    rw: str  # read | randread
    bs: int  # bytes
    fio_engine: str  # psync | io_uring | mmap
    iodepth: int
    direct: bool
    aistor_engine: dict
    note: str = ""


DIRECT_JOBS = [
    Job("seqread-128k-qd1-psync-direct", "read", 128 * 1024, "psync", 1, True,
        {"name": "pread", "direct": True}),
    Job("seqread-128k-qd32-uring-direct", "read", 128 * 1024, "io_uring", 32, True,
        {"name": "io_uring", "queue_depth": 32, "direct": True}),
    Job("randread-4k-qd1-pread-direct", "randread", 4096, "psync", 1, True,
        {"name": "pread", "direct": True}),
    Job("randread-4k-qd32-uring-direct", "randread", 4096, "io_uring", 32, True,
        {"name": "io_uring", "queue_depth": 32, "direct": True}),
]

# --cached: the file is resident in the page cache; one thread, 4 KiB random reads, buffered.
CACHED_JOBS = [
    Job("cached-randread-4k-pread", "randread", 4096, "psync", 1, False,
        {"name": "pread", "direct": False}),
    Job("cached-randread-4k-uring-qd1", "randread", 4096, "io_uring", 1, False,
        {"name": "io_uring", "queue_depth": 1, "direct": False}),
    Job("cached-randread-4k-uring-qd32", "randread", 4096, "io_uring", 32, False,
        {"name": "io_uring", "queue_depth": 32, "direct": False}),
    # fio's mmap engine madvises MADV_RANDOM for random jobs (fadvise_hint=1, its default) and
    # memcpy()s out of the mapping; aistor's mmap engine copies too, so ask it for "random".
    Job("cached-randread-4k-mmap", "randread", 4096, "mmap", 1, False,
        {"name": "mmap", "madvise": "random"}),
]


# ----------------------------------------------------------------------------------------------
# small helpers

def die(msg: str, code: int = 2) -> None:
    print(f"fio_parity: {msg}", file=sys.stderr)
    sys.exit(code)


_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4,
          "tb": 1024**4, "tib": 1024**4}


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (e.g. 2GiB, 256MiB, 4096)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def human_size(n: int) -> str:
    for unit, mult in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n % mult == 0:
            return f"{n // mult}{unit}"
    return f"{n}B"


def run_capture(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        return p.stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"({shlex.join(cmd)} failed: {e})"


def load_json_loose(path: Path):
    """fio can put warning lines ahead of the JSON document; skip to the first '{'."""
    text = path.read_text(errors="replace")
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in output")
    return json.loads(text[start:])


def median(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def resident_fraction(path: Path) -> float | None:
    """Fraction of `path` in the page cache, from util-linux fincore (None if unavailable)."""
    if not shutil.which("fincore"):
        return None
    try:
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "-o", "RES,SIZE",
                              str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True, timeout=60).stdout.split()
        res, size = int(out[0]), int(out[1])
        return res / size if size else None
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def warm_file(path: Path, size: int) -> None:
    """Read the first `size` bytes of the file through the page cache (like `cat file`)."""
    with open(path, "rb", buffering=0) as f:
        left = size
        while left > 0:
            chunk = f.read(min(left, 4 << 20))
            if not chunk:
                break
            left -= len(chunk)


# ----------------------------------------------------------------------------------------------
# the runner

@dataclass
class RunResult:
    ok: bool
    bytes_per_s: float | None = None
    iops: float | None = None
    p50_ns: float | None = None
    p99_ns: float | None = None
    mean_ns: float | None = None
    resident_before: float | None = None
    error: str = ""
    extra: dict = field(default_factory=dict)
