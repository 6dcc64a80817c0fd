#!/usr/bin/env python3
"""torch.save / torch.load of a state dict held in GPU memory: the peer of a checkpoint saved
from and restored into GPU memory (the checkpoint workload on the gpu engine).

save SIZE PATH  builds a state dict of uint8 CUDA tensors (64 MiB each, the last smaller) filled
                with random bytes (untimed), then times torch.save to PATH (it copies each tensor
                to host memory as it writes), flush, os.fsync of the file and of its directory.
load PATH       times torch.load(PATH, map_location="cuda") and torch.cuda.synchronize(): the
                tensors land in GPU memory. Drop the page cache first for a cold restore.
Prints {"op": ..., "bytes": N, "seconds": S, "bytes_per_s": R} as one JSON line.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_save_peer import random_state, save_durably  # noqa: E402


def save(size, path):
    state = random_state(size, device="cuda")
    torch.cuda.synchronize()
    return save_durably(state, path), size


def load(path):
    t0 = time.perf_counter()
    state = torch.load(path, map_location="cuda")
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    size = sum(t.numel() * t.element_size() for t in state.values())
    assert all(t.is_cuda for t in state.values())
    return dt, size


def main():
    op = sys.argv[1]
    dt, size = save(int(sys.argv[2]), sys.argv[3]) if op == "save" else load(sys.argv[2])
    print(json.dumps({"op": op, "bytes": size, "seconds": dt, "bytes_per_s": size / dt}))


if __name__ == "__main__":
    main()
