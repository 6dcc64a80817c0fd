#!/usr/bin/env python3
"""torch.save of a state dict of SIZE bytes, made durable: the peer of the checkpoint workload.

Builds a state dict of uint8 tensors (64 MiB each, the last smaller) filled with random bytes
(untimed), then times torch.save to PATH, flush, os.fsync of the file and of its directory, and
prints {"bytes": N, "seconds": S, "bytes_per_s": R} as one JSON line.
Usage: torch_save_peer.py SIZE_BYTES PATH
"""
import json
import os
import sys
import time

import torch


def random_state(size, device="cpu"):
    """A state dict of uint8 tensors of 64 MiB each (the last smaller), SIZE bytes in all."""
    chunk = 64 << 20
    gen = torch.Generator(device=device).manual_seed(1)
    state = {}
    left, i = size, 0
    while left > 0:
        n = min(chunk, left)
        state[f"layer.{i}.weight"] = torch.randint(
            0, 256, (n,), dtype=torch.uint8, generator=gen, device=device)
        left -= n
        i += 1
    return state


def save_durably(state, path):
    """Seconds for torch.save to PATH, flush, fsync of the file and of its directory."""
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    d = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    os.fsync(d)
    os.close(d)
    return time.perf_counter() - t0


def main():
    size, path = int(sys.argv[1]), sys.argv[2]
    dt = save_durably(random_state(size), path)
    print(json.dumps({"bytes": size, "file_bytes": os.path.getsize(path), "seconds": dt,
                      "bytes_per_s": size / dt}))


if __name__ == "__main__":
    main()
