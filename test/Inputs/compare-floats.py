#!/usr/bin/env python3
"""Compares the numbers printed by printMemrefF32 in two runner outputs.

Usage: compare-floats.py A B [--rtol R] [--atol A]
Prints 'MATCH <count> values, max abs diff <d>' when every pair agrees within
atol + rtol * |b|, otherwise the first mismatches, and exits non-zero.
"""
import argparse
import re
import sys

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)")


def numbers(path):
    values = []
    with open(path) as f:
        text = f.read()
    # Only the data after each 'data =' counts: the header holds addresses.
    for block in text.split("data =")[1:]:
        body = block.split("Unranked Memref")[0]
        values.extend(float(v) for v in NUMBER.findall(body))
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-6)
    args = parser.parse_args()
    a, b = numbers(args.a), numbers(args.b)
    if not a or len(a) != len(b):
        print(f"MISMATCH: {len(a)} values vs {len(b)} values")
        return 1
    bad = [(i, x, y) for i, (x, y) in enumerate(zip(a, b))
           if not abs(x - y) <= args.atol + args.rtol * abs(y)]
    if bad:
        for i, x, y in bad[:10]:
            print(f"MISMATCH at {i}: {x} vs {y}")
        return 1
    print(f"MATCH {len(a)} values, max abs diff {max(abs(x - y) for x, y in zip(a, b)):.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
