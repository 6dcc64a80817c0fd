#!/usr/bin/env python3
"""The loaders aistor's GPU engine is measured against, on the GPU machine.

  gpu_load_peer.py make FILE BYTES      writes a valid safetensors file of exactly BYTES bytes
                                        (bf16 tensors of 64 MiB, header padded with spaces so the
                                        data starts at 64 KiB), to be read by aistor's raw workload
                                        and by the peers alike
  gpu_load_peer.py load FILE            safetensors.torch.load_file(FILE, device="cuda"), timed to
                                        torch.cuda.synchronize(); prints one JSON line
  gpu_load_peer.py convert FILE PT      the tensors of safetensors FILE saved by torch.save to PT
                                        (the same tensors and bytes, in PyTorch's own format)
  gpu_load_peer.py load-torch PT        torch.load(PT, mmap=True), then every tensor .cuda(), timed
                                        to torch.cuda.synchronize(); prints one JSON line

The caller sets the cache state (drop_caches for cold, one read before for warm).
"""
import json
import os
import sys
import time

HEADER = 64 << 10
TENSOR = 64 << 20


def make(path, total):
    data = total - HEADER
    if data <= 0 or data % 2:
        sys.exit(f"gpu_load_peer: {total} bytes cannot hold a bf16 safetensors file")
    meta, at, i = {}, 0, 0
    while at < data:
        n = min(TENSOR, data - at)
        meta[f"layers.{i}.weight"] = {"dtype": "BF16", "shape": [n // 2], "data_offsets": [at, at + n]}
        at, i = at + n, i + 1
    header = json.dumps(meta, separators=(",", ":")).encode()
    if len(header) > HEADER - 8:
        sys.exit("gpu_load_peer: header does not fit in 64 KiB")
    header += b" " * (HEADER - 8 - len(header))
    block = os.urandom(TENSOR)
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        left = data
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
        f.flush()
        os.fsync(f.fileno())
    print(json.dumps({"made": path, "bytes": total, "tensors": i}))


def timed_to_gpu(peer, path, load):
    """Times load() (which returns a dict of CUDA tensors) to torch.cuda.synchronize(); prints
    one JSON line."""
    import torch

    torch.cuda.init()
    torch.cuda.synchronize()
    size = os.path.getsize(path)
    start = time.perf_counter()
    tensors = load()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    on_gpu = sum(t.numel() * t.element_size() for t in tensors.values())
    print(json.dumps({"peer": peer, "file_bytes": size, "tensor_bytes": on_gpu,
                      "seconds": seconds, "bytes_per_s": on_gpu / seconds}))


def load(path):
    from safetensors.torch import load_file

    timed_to_gpu("safetensors.load_file(device=cuda)", path,
                 lambda: load_file(path, device="cuda"))


def convert(path, pt):
    import torch
    from safetensors.torch import load_file

    tensors = load_file(path)
    with open(pt, "wb") as f:
        torch.save(tensors, f)
        f.flush()
        os.fsync(f.fileno())
    print(json.dumps({"converted": path, "to": pt, "tensors": len(tensors),
                      "pt_bytes": os.path.getsize(pt)}))


def load_torch(pt):
    import torch

    timed_to_gpu("torch.load(mmap=True)+.cuda()", pt,
                 lambda: {k: v.cuda() for k, v in
                          torch.load(pt, mmap=True, weights_only=True).items()})


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "load":
        load(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "convert":
        convert(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "load-torch":
        load_torch(sys.argv[2])
    else:
        sys.exit(__doc__)
