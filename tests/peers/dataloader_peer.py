#!/usr/bin/env python3
"""PyTorch DataLoader over an aistor dataset: the peer of the samples workload.

A raw sample tree: reads every sample file once per epoch (open, read, close). A directory of
FFRecord files (*.ffr): reads every sample once per epoch with os.pread at the offsets of the
files' headers (each worker opens the files once), the packed layout's fastest Python form.
Both go through torch.utils.data.DataLoader with shuffle=True,
the given batch size and num_workers, and prints one JSON line per measured epoch:
{"num_workers": W, "epoch": E, "samples": N, "seconds": S, "samples_per_s": R}.
The Dataset returns the file's bytes and the collate function keeps the list as it is, so the
figure is the loader's own cost (no tensor conversion): the most favourable case for it.
Usage: dataloader_peer.py DATASET_DIR --batch-size 64 --workers 0 --epochs 2 [--warm-epochs 1]
"""
import argparse
import array
import json
import os
import struct
import sys
import time

import torch
from torch.utils.data import DataLoader, Dataset


class FfRecords(Dataset):
    def __init__(self, root):
        self.files = sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith(".ffr"))
        self.index = []  # (file, offset, length)
        for k, path in enumerate(self.files):
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                head = f.read(12)
                n = struct.unpack_from("<q", head, 4)[0]
                f.seek(12 + 4 * n)
                offsets = array.array("Q")
                offsets.frombytes(f.read(8 * n))
            ends = list(offsets[1:]) + [size]
            self.index.extend((k, o, e - o) for o, e in zip(offsets, ends))
        self.fds = None

    def __len__(self):
        return len(self.index)

    def __getitem__(self, i):
        if self.fds is None:  # per process: workers open their own
            self.fds = [os.open(p, os.O_RDONLY) for p in self.files]
        k, offset, length = self.index[i]
        return os.pread(self.fds[k], length, offset)


class Files(Dataset):
    def __init__(self, root):
        self.paths = sorted(
            os.path.join(d, f)
            for d, _, names in os.walk(root)
            for f in names
            if not f.startswith(".") and f != "aistor-dataset.json")

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with open(self.paths[i], "rb") as f:
            return f.read()


def keep(batch):
    return batch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--warm-epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--persistent", type=int, default=1,
                    help="1: keep worker processes across epochs; 0: DataLoader's default")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    packed = any(f.endswith(".ffr") for f in os.listdir(a.root))
    ds = FfRecords(a.root) if packed else Files(a.root)
    if len(ds) == 0:
        sys.exit(f"{a.root}: no sample files")
    loader = DataLoader(ds, batch_size=a.batch_size, shuffle=True, num_workers=a.workers,
                        collate_fn=keep, persistent_workers=a.workers > 0 and a.persistent == 1)
    for epoch in range(a.warm_epochs + a.epochs):
        t0 = time.perf_counter()
        n = 0
        nbytes = 0
        for batch in loader:
            n += len(batch)
            nbytes += sum(len(b) for b in batch)
        dt = time.perf_counter() - t0
        if n != len(ds):
            sys.exit(f"epoch {epoch}: {n} samples, expected {len(ds)}")
        if epoch >= a.warm_epochs:
            print(json.dumps({"layout": "ffrecord" if packed else "raw", "num_workers": a.workers,
                              "persistent_workers": a.workers > 0 and a.persistent == 1, "epoch": epoch - a.warm_epochs,
                              "samples": n, "bytes": nbytes, "seconds": dt,
                              "samples_per_s": n / dt}), flush=True)


if __name__ == "__main__":
    main()
