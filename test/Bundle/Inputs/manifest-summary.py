"""One line per kernel and linear of a bundle's manifest.json, and a check
that each target's weights file holds exactly the manifest's tensors, with
their dtypes and shapes and one metadata entry each (stdlib only)."""
import json
import os
import struct
import sys

bundle = sys.argv[1]
with open(os.path.join(bundle, "manifest.json")) as f:
    manifest = json.load(f)
for k in manifest["kernels"]:
    print(f"kernel {k['name']} {k['rows']}x{k['cols']} {k['encoding']} act {k['act_bits']} "
          f"max_batch {k['max_batch']}")
for l in manifest["linears"]:
    parts = []
    for target in ("cpu", "cuda"):
        if target in l:
            parts.append(target + ": " + ", ".join(
                f"{t['name']} {t['dtype']} [{', '.join(map(str, t['shape']))}]" for t in l[target]))
    print(f"linear {l['name']} {l['kernel']} " + " ".join(parts))
for target, about in manifest["targets"].items():
    with open(os.path.join(bundle, about["weights"]), "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    metadata = header.pop("__metadata__", {})
    listed = {t["name"]: t for l in manifest["linears"] for t in l[target]}
    assert set(listed) == set(header), (sorted(listed), sorted(header))
    for name, t in listed.items():
        assert header[name]["dtype"] == t["dtype"] and header[name]["shape"] == t["shape"], name
        json.loads(metadata[name])
    print(f"weights {target}: {len(header)} tensors, all in the manifest, metadata format "
          f"{metadata['format']}")
