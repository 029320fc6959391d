#!/usr/bin/env python3
"""Writes a float32 .npy file (format 1.0, C order) without numpy.

Usage: write-npy.py OUT --shape S0,S1,... [--seed N]
The values are uniform in [-1, 1) from Python's seeded random module.
"""
import argparse
import random
import struct


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--shape", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shape = [int(d) for d in args.shape.split(",")]
    count = 1
    for d in shape:
        count *= d
    rng = random.Random(args.seed)
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(args.out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % count, *(rng.uniform(-1, 1) for _ in range(count))))


if __name__ == "__main__":
    main()
