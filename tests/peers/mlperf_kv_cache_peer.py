#!/usr/bin/env python3
"""MLPerf Storage v3.0's KV-cache benchmark (kv-cache.py), files only: the peer of the kv-cache workload.

Does the I/O of MLPerf's "storage stress" invocation (--gpu-mem-gb 0 --cpu-mem-gb 0: every cache
entry goes to the file tier) with Python and numpy, after the facts in
/work/shared/peers/mlperf-kv-cache.md:
- Objects: one file per cache entry, <dir>/<key>.npy, the whole KV cache of one request's context
  (float16, shape (layers, 2, tokens, kv_heads, head_dim), a 128-byte .npy header, no chunking);
  the payload is a window of one seeded 256 MiB random float16 buffer, repeated when larger.
- Model: --num-users users, one thread each (I/O concurrency at most N), closed loop. Each user has
  a fixed context length drawn from chat 256-1024, code 1024-4096 or documents 2048-8192 tokens;
  each request's context is uniform in [ceil(ctx/4), ctx], its generated tokens in
  [--gen-min, --gen-max]. Per request: the shared system-prompt object (read; the first user to
  need it writes it), the previous turn's object (read; conversations of --turns requests), one
  prefill write of the context, then ceil(generated / --decode-batch) reads of it, sleeping
  0 / 2 / 30 ms per generated token for --generation-mode none / fast / realistic.
- System calls: a write is open('wb'), np.save (the 128-byte header write, fallocate(KEEP_SIZE) for
  payloads from 16 MiB, ONE write of the payload: "host" time), flush, os.fsync ("device"), close;
  a read is open, posix_fadvise(DONTNEED), close, then np.load (open, read(4096), ONE read of the
  payload, close: "device"), then arr.copy() (fadvise and copy are "host").
- Its JSON: the summary and cache_stats fields as MLPerf names them (GiB in cache_stats, op counts
  in read_iops / write_iops, latencies in ms; percentiles by numpy's linear interpolation).
Not MLPerf's: --max-storage-gb deletes least-recently-used objects (never sys.npy, never one in
use) when the files pass it (MLPerf's file tier has no limit); --requests caps the requests
started; "payload_sizes" counts the payload bytes (array nbytes, no header) of every operation;
*_gbps fields are payload bytes / elapsed / 1e9. When --duration has passed each user finishes the
request it is in, and elapsed_time runs until the last one has. Every object file is deleted at
the end, also on Ctrl-C (exit 130) or SIGTERM; the directory too when this script created it.
Usage: mlperf_kv_cache_peer.py --dir DIR --model llama3.1-8b --num-users 4 --duration 60 --seed 1
       --generation-mode none [--requests N] [--max-storage-gb G] --output OUT.json
"""
import argparse
import collections
import contextlib
import json
import os
import random
import signal
import sys
import threading
import time

import numpy as np

MODELS = {  # layers, kv heads, head dim; K and V per layer, float16
    "tiny": (4, 2, 64), "llama2-7b": (32, 32, 128), "llama3.1-8b": (32, 8, 128),
    "mistral-7b": (32, 8, 128), "llama3.2-1b": (16, 8, 64), "llama3.1-70b": (80, 8, 128), "llama3.1-70b-instruct": (80, 8, 128)}
CONTEXTS = (("chat", 256, 1024), ("code", 1024, 4096), ("documents", 2048, 8192))
TOKEN_SECONDS = {"none": 0.0, "fast": 0.002, "realistic": 0.030}
BASE_ELEMS = (256 << 20) // 2  # the 256 MiB float16 buffer every payload is a window of
HEADER = 128  # .npy header of these shapes


class KvRng:
    """A user's length draws exactly as aistor's kv-cache makes them (KvRng in
    workloads/kv_cache/kv_lengths.hpp: splitmix64 from the seed, lo + next % (hi - lo + 1)), so
    user u gets the same type, context lengths and generated tokens in both tools."""
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)


class Aborted(Exception):
    """Ctrl-C, SIGTERM or another user's error: stop between operations."""


def base_buffer(seed):
    """256 MiB of seeded standard-normal float16 values (made in 32 MiB steps to spare memory)."""
    rng, base, step = np.random.default_rng(seed), np.empty(BASE_ELEMS, np.float16), 1 << 24
    for i in range(0, BASE_ELEMS, step):
        base[i:i + step] = rng.standard_normal(step, dtype=np.float32)
    return base


def payload(base, shape, start):
    """A new float16 array of SHAPE holding the base buffer from START on, wrapping around."""
    arr = np.empty(int(np.prod(shape)), np.float16)
    pos = 0
    while pos < arr.size:
        n = min(arr.size - pos, BASE_ELEMS - start)
        arr[pos:pos + n] = base[start:start + n]
        pos, start = pos + n, 0
    return arr.reshape(shape)


def write_object(path, arr):
    """MLPerf's write. Returns (host s: np.save into the page cache, device s: fsync, file bytes)."""
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        np.save(f, arr)
        f.flush()
        t1 = time.perf_counter()
        os.fsync(f.fileno())
        t2 = time.perf_counter()
        size = f.tell()
    return t1 - t0, t2 - t1, size


def read_object(path):
    """MLPerf's read. Returns (host s: fadvise + copy, device s: np.load, payload bytes)."""
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    t1 = time.perf_counter()
    arr = np.load(path)
    t2 = time.perf_counter()
    copy = arr.copy()
    t3 = time.perf_counter()
    return (t1 - t0) + (t3 - t2), t2 - t1, copy.nbytes


class Store:
    """The file tier: which objects exist, their file bytes in LRU order, pins, the optional cap."""

    def __init__(self, root, limit):
        self.root, self.limit = root, limit
        self.lock = threading.Lock()
        self.lru = collections.OrderedDict()  # key -> file bytes, least recently used first
        self.pins = collections.Counter()
        self.bytes = self.evictions = 0
        self.created = set()
        self.sys_state = "absent"  # absent, writing, ready

    def path(self, key):
        return os.path.join(self.root, key + ".npy")

    def reserve(self, key, nbytes):
        """Pins KEY (the caller unpins it) for its write of NBYTES, deleting LRU objects first."""
        with self.lock:
            if self.limit is not None:
                for victim in list(self.lru):
                    if self.bytes + nbytes <= self.limit:
                        break
                    if victim != "sys" and not self.pins[victim]:
                        self.bytes -= self.lru.pop(victim)
                        os.unlink(self.path(victim))
                        self.evictions += 1
            self.created.add(key)
            self.lru[key] = nbytes
            self.bytes += nbytes
            self.pins[key] += 1

    def pin(self, key):
        """Pins KEY for a read and makes it the most recently used; False when it was deleted."""
        with self.lock:
            if key not in self.lru:
                return False
            self.lru.move_to_end(key)
            self.pins[key] += 1
            return True

    def unpin(self, key):
        with self.lock:
            self.pins[key] -= 1

    def claim_sys(self):
        """'read' once sys.npy is on disk, 'write' for the one user to write it, None meanwhile."""
        with self.lock:
            if self.sys_state == "absent":
                self.sys_state = "writing"
                return "write"
            return "read" if self.sys_state == "ready" else None

    def sys_written(self):
        with self.lock:
            self.sys_state = "ready"
            self.pins["sys"] -= 1

    def remove_all(self):
        for key in self.created:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(key))


class Bench:
    """What the users share: options, the base buffer, the store, the clock and request tickets."""

    def __init__(self, args, base, store):
        self.args, self.base, self.store = args, base, store
        self.layers, self.heads, self.dim = MODELS[args.model]
        self.abort = threading.Event()
        self.lock = threading.Lock()
        self.started, self.deadline = 0, None

    def take_ticket(self):
        """True when a user may start another request (time left, --requests not reached)."""
        if self.abort.is_set() or time.perf_counter() >= self.deadline:
            return False
        with self.lock:
            if self.args.requests is not None and self.started >= self.args.requests:
                return False
            self.started += 1
            return True


class User(threading.Thread):
    def __init__(self, bench, index):
        super().__init__(name=f"user{index}", daemon=True)
        self.bench, self.index = bench, index
        self.rng = KvRng(bench.args.seed * 1000003 + index)
        self.window = random.Random(bench.args.seed * 1000003 + index)
        _, lo, hi = CONTEXTS[self.rng.uniform(0, len(CONTEXTS) - 1)]
        self.ctx = self.rng.uniform(lo, hi)
        self.reads, self.writes = [], []  # (payload bytes, file bytes, host s, device s)
        self.latencies, self.tokens, self.misses, self.sys_skips = [], 0, 0, 0
        self.error = None

    def run(self):
        turns, n, prev = self.bench.args.turns, 0, None
        try:
            while self.bench.take_ticket():
                prev = self.request(n, None if n % turns == 0 else prev)
                n += 1
        except Aborted:
            pass
        except BaseException as e:  # noqa: BLE001 - reported by main, which cleans up
            self.error = f"{type(e).__name__}: {e}"
            self.bench.abort.set()

    def request(self, n, prev):
        """One request: system prompt, previous turn, prefill write, decode reads. Returns its key."""
        b, a = self.bench, self.bench.args
        c = self.rng.uniform(-(-self.ctx // 4), self.ctx)
        g = self.rng.uniform(a.gen_min, a.gen_max)
        ops = []
        if a.system_prompt_tokens > 0:
            role = b.store.claim_sys()
            if role == "write":
                ops.append(self.write("sys", a.system_prompt_tokens))
                b.store.sys_written()
            elif role == "read":
                ops.append(self.read("sys"))
            else:
                self.sys_skips += 1
        if prev is not None:
            ops.append(self.read(prev))
        key = f"u{self.index}_r{n}"
        ops.append(self.write(key, c))  # pinned until the request ends
        try:
            for i in range(0, g, a.decode_batch):
                ops.append(self.read(key))
                if b.abort.wait(min(a.decode_batch, g - i) * TOKEN_SECONDS[a.generation_mode]):
                    raise Aborted
        finally:
            b.store.unpin(key)
        self.latencies.append(sum(ops))
        self.tokens += g
        return key

    def write(self, key, tokens):
        b = self.bench
        if b.abort.is_set():
            raise Aborted
        shape = (b.layers, 2, tokens, b.heads, b.dim)
        b.store.reserve(key, 2 * int(np.prod(shape)) + HEADER)
        arr = payload(b.base, shape, self.window.randrange(BASE_ELEMS))
        host, device, size = write_object(b.store.path(key), arr)
        self.writes.append((arr.nbytes, size, host, device))
        return host + device

    def read(self, key):
        b = self.bench
        if b.abort.is_set():
            raise Aborted
        if not b.store.pin(key):  # deleted by --max-storage-gb
            self.misses += 1
            return 0.0
        try:
            host, device, nbytes = read_object(b.store.path(key))
        finally:
            b.store.unpin(key)
        self.reads.append((nbytes, nbytes + HEADER, host, device))
        return host + device


def ms_percentiles(values, names=("p50", "p95", "p99")):
    qs = [int(n[1:]) for n in names]
    got = np.percentile(values, qs) * 1000 if values else [0.0] * len(qs)
    return {n: float(v) for n, v in zip(names, got)}


def report(args, users, elapsed, store):
    reads = [r for u in users for r in u.reads]
    writes = [w for u in users for w in u.writes]
    latencies = [x for u in users for x in u.latencies]
    tokens = sum(u.tokens for u in users)
    cache = {"total_read_gb": sum(r[1] for r in reads) / 2**30,
             "total_write_gb": sum(w[1] for w in writes) / 2**30,
             "read_iops": len(reads), "write_iops": len(writes)}
    for name, ops in (("read", reads), ("write", writes)):
        for part, vals in (("", [o[2] + o[3] for o in ops]), ("_device", [o[3] for o in ops]),
                           ("_host", [o[2] for o in ops])):
            for p, v in ms_percentiles(vals).items():
                cache[f"nvme_{name}{part}_{p}_ms"] = v
    read_bytes, write_bytes = sum(r[0] for r in reads), sum(w[0] for w in writes)
    lat = {"mean": float(np.mean(latencies)) * 1000 if latencies else 0.0,
           **ms_percentiles(latencies)}
    layers, heads, dim = MODELS[args.model]
    sizes = lambda ops: {str(k): v for k, v in sorted(collections.Counter(o[0] for o in ops).items())}
    return {
        "tool": "mlperf-kv-cache-peer", "model": args.model,
        "bytes_per_token": layers * 2 * heads * dim * 2, "num_users": args.num_users,
        "seed": args.seed, "generation_mode": args.generation_mode,
        "config": {k: getattr(args, k) for k in ("duration", "requests", "system_prompt_tokens",
                                                 "turns", "decode_batch", "gen_min", "gen_max",
                                                 "max_storage_gb")},
        "summary": {
            "elapsed_time": elapsed, "total_requests": len(latencies),
            "requests_per_second": len(latencies) / elapsed,
            "avg_throughput_tokens_per_sec": tokens / elapsed,
            "storage_throughput_tokens_per_sec": tokens / sum(latencies) if latencies else 0.0,
            "storage_io_latency_ms": lat, "cache_stats": cache,
            "storage_read_bytes": read_bytes, "storage_write_bytes": write_bytes,
            "storage_read_gbps": read_bytes / elapsed / 1e9,
            "storage_write_gbps": write_bytes / elapsed / 1e9,
            "storage_gbps": (read_bytes + write_bytes) / elapsed / 1e9},
        "evictions": store.evictions, "evicted_reads_skipped": sum(u.misses for u in users),
        "system_prompt_skips": sum(u.sys_skips for u in users),
        "payload_sizes": {"write": sizes(writes), "read": sizes(reads)},
    }


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="directory of the object files")
    ap.add_argument("--model", default="llama3.1-8b", choices=sorted(MODELS))
    ap.add_argument("--num-users", type=int, default=4)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds")
    ap.add_argument("--requests", type=int, default=None, help="stop after this many requests")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--generation-mode", default="none", choices=sorted(TOKEN_SECONDS))
    ap.add_argument("--system-prompt-tokens", type=int, default=256)
    ap.add_argument("--turns", type=int, default=4, help="requests per conversation")
    ap.add_argument("--decode-batch", type=int, default=32)
    ap.add_argument("--gen-min", type=int, default=128)
    ap.add_argument("--gen-max", type=int, default=256)
    ap.add_argument("--max-storage-gb", type=float, default=None, help="GiB; LRU deletion above")
    ap.add_argument("--output", required=True, help="JSON report")
    args = ap.parse_args()
    if min(args.num_users, args.turns, args.decode_batch, args.gen_min) < 1 \
            or args.gen_max < args.gen_min:
        ap.error("--num-users, --turns, --decode-batch, --gen-min must be >= 1, gen-max >= gen-min")
    return args


def interrupt(signum, frame):
    raise KeyboardInterrupt


def ignore_signals():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main():
    args = parse()
    signal.signal(signal.SIGINT, interrupt)  # also where a shell started it with SIGINT ignored
    signal.signal(signal.SIGTERM, interrupt)
    limit = None if args.max_storage_gb is None else int(args.max_storage_gb * 2**30)
    made_dir = not os.path.isdir(args.dir)
    store, users, status = Store(args.dir, limit), [], 0
    try:
        bench = Bench(args, base_buffer(args.seed), store)
        os.makedirs(args.dir, exist_ok=True)
        users = [User(bench, i) for i in range(args.num_users)]
        t0 = time.perf_counter()
        bench.deadline = t0 + args.duration
        for u in users:
            u.start()
        for u in users:
            while u.is_alive():
                u.join(0.2)
        elapsed = time.perf_counter() - t0
    except KeyboardInterrupt:
        ignore_signals()
        print("interrupted: stopping the users and deleting the objects", file=sys.stderr)
        status = 130
        if users:
            bench.abort.set()
            for u in users:
                if u.is_alive():
                    u.join()
    finally:
        ignore_signals()  # no second Ctrl-C in the middle of the clean-up
        store.remove_all()
        if made_dir:
            with contextlib.suppress(OSError):
                os.rmdir(args.dir)
    if status:
        return status
    errors = [f"{u.name}: {u.error}" for u in users if u.error]
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    result = report(args, users, elapsed, store)
    with open(args.output, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    s = result["summary"]
    print(json.dumps({k: s[k] for k in ("elapsed_time", "total_requests", "storage_gbps")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
