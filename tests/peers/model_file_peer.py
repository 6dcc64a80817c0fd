#!/usr/bin/env python3
"""Reads model files aistor wrote with the reference readers, and says whether they agree with
`aistor inspect --json`: safetensors.safe_open (and torch), and gguf-py's GGUFReader when it is
installed. Usage: model_file_peer.py AISTOR FILE..."""
import json
import subprocess
import sys


def check(aistor, path):
    mine = json.loads(subprocess.run([aistor, "inspect", path, "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    if path.endswith(".safetensors"):
        from safetensors import safe_open
        with safe_open(path, framework="pt") as f:
            keys = list(f.keys())
            total = sum(f.get_tensor(k).numel() * f.get_tensor(k).element_size() for k in keys)
        theirs = {"reader": "safetensors.safe_open", "tensors": len(keys), "tensor_bytes": total}
    else:
        try:
            from gguf import GGUFReader
        except ImportError:
            return {"file": path, "reader": "gguf-py", "result": "not installed here"}
        r = GGUFReader(path)
        theirs = {"reader": "gguf.GGUFReader", "tensors": len(r.tensors),
                  "tensor_bytes": int(sum(t.n_bytes for t in r.tensors))}
    same = theirs["tensors"] == mine["tensors"] and theirs["tensor_bytes"] == mine["tensor_bytes"]
    return {"file": path, **theirs, "aistor_tensors": mine["tensors"],
            "aistor_tensor_bytes": mine["tensor_bytes"], "result": "agree" if same else "DIFFER"}


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for p in sys.argv[2:]:
        print(json.dumps(check(sys.argv[1], p)))
