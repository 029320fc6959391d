#!/usr/bin/env python3
"""Fills a model library's weights file with synthetic values on the GPU
machine, from the file's safetensors header alone.

A 7B-shaped model's packed weights (GBs) cannot travel from the build
machine, but its library (`quant-run compile --shared`) and the header of its
weights file (names, dtypes, shapes, offsets: a few KB) can; this writes a
file of the same header with values that time like real ones:

  * F32 tensors of rank 1 (norm weights): 1.0;
  * other F32 tensors (embedding, float linears, RoPE tables): N(0, 0.02);
  * I8/U8 blobs (packed codes with their f16 scales, docs/GPULayout.md):
    uniform random bytes, except that every second byte (the high byte of a
    little-endian 16-bit word) is drawn so that any f16 read there is a
    finite positive number in [2^-10, 2^-4): codes stay near uniform and no
    scale is a NaN or an infinity.

  synthetic-weights.py HEADER OUT.safetensors [--seed N]

HEADER is a file holding at least the first 8 + n bytes of the real weights
file (`head -c` of it); only those bytes are read.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("header")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with open(args.header, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        sys.exit(f"{args.header}: not a safetensors header (shorter than 8 bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if len(raw) < 8 + n:
        sys.exit(f"{args.header}: header of {n} bytes truncated at {len(raw) - 8}")
    header = json.loads(raw[8 : 8 + n])
    tensors = sorted(
        ((k, v) for k, v in header.items() if k != "__metadata__"),
        key=lambda kv: kv[1]["data_offsets"][0],
    )
    total = max((v["data_offsets"][1] for _, v in tensors), default=0)

    rng = np.random.default_rng(args.seed)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(raw[: 8 + n])
        for name, spec in tensors:
            begin, end = spec["data_offsets"]
            pad = 8 + n + begin - f.tell()
            if pad < 0:
                sys.exit(f"{name}: overlapping data offsets")
            f.write(b"\0" * pad)
            size = end - begin
            dtype = spec["dtype"]
            if dtype == "F32":
                count = size // 4
                if len(spec["shape"]) == 1:
                    values = np.ones(count, np.float32)
                else:
                    values = rng.normal(0.0, 0.02, count).astype(np.float32)
                f.write(values.tobytes())
            else:
                data = rng.integers(0, 256, size, dtype=np.uint8)
                # f16 exponents 5..10, sign 0: high bytes 0x14..0x2b.
                data[1::2] = rng.integers(0x14, 0x2C, data[1::2].size, dtype=np.uint8)
                f.write(data.tobytes())
        f.write(b"\0" * (8 + n + total - f.tell()))
    os.replace(tmp, args.out)
    print(f"{args.out}: {len(tensors)} tensors, {total / 1e9:.2f} GB of synthetic values")


if __name__ == "__main__":
    main()
