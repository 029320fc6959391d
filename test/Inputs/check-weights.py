#!/usr/bin/env python3
"""Checks a decoded quantized weight against the float weight it encodes.

Usage: check-weights.py DECODED FLOAT --kn K,N
           [--rtn BITS --group G [--asymmetric]] [--max-abs A] [--max-rel R]
DECODED and FLOAT are runner outputs (printMemrefF32) whose last K*N
numbers are the weight transposed, Wᵀ [K, N] (a quantized matmul of the
identity prints it). Groups run along K within a column.
  --rtn BITS --group G: round to nearest, per element |w - ŵ| <= s/2, with s
      the group's scale as docs/Methods.md defines it (symmetric:
      max(-min/2^(b-1), max/(2^(b-1)-1)); asymmetric: (max - min)/(2^b - 1),
      zero in the range), rounded to fp16; the fp16 rounding of s may move
      the grid's ends by (2^b - 1)·|s - s16|, which the bound allows.
  --max-abs A: max |w - ŵ| <= A.
  --max-rel R: ||W - Ŵ||_F / ||W||_F <= R.
Prints 'OK <count> weights: max abs err E, rel err R' or 'FAIL ...' with
the first offending elements, and exits non-zero on failure.
"""
import argparse
import importlib.util
import math
import os
import struct
import sys

# The runner-output parser of compare-floats.py, beside this file.
_spec = importlib.util.spec_from_file_location(
    "compare_floats", os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare-floats.py"))
_compare_floats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_compare_floats)
numbers = _compare_floats.numbers


def fp16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("decoded")
    parser.add_argument("float")
    parser.add_argument("--kn", required=True)
    parser.add_argument("--rtn", type=int)
    parser.add_argument("--group", type=int)
    parser.add_argument("--asymmetric", action="store_true")
    parser.add_argument("--max-abs", type=float)
    parser.add_argument("--max-rel", type=float)
    args = parser.parse_args()
    k, n = (int(v) for v in args.kn.split(","))
    q, w = numbers(args.decoded), numbers(args.float)
    if len(q) < k * n or len(w) < k * n:
        print(f"FAIL: fewer than {k * n} numbers ({len(q)}, {len(w)})")
        return 1
    q, w = q[-k * n:], w[-k * n:]
    err = [abs(a - b) for a, b in zip(q, w)]
    max_abs = max(err)
    norm = math.sqrt(sum(x * x for x in w))
    rel = math.sqrt(sum(e * e for e in err)) / norm if norm > 0 else float("inf")
    bad = []
    if args.rtn is not None:
        group = args.group or k
        levels = 2 ** args.rtn - 1
        for col in range(n):
            for g0 in range(0, k, group):
                idx = [(r * n + col) for r in range(g0, g0 + group)]
                lo = min(0.0, min(w[i] for i in idx))
                hi = max(0.0, max(w[i] for i in idx))
                if args.asymmetric:
                    s = (hi - lo) / levels
                else:
                    half = 2 ** (args.rtn - 1)
                    s = max(-lo / half, hi / (half - 1))
                s16 = fp16(s)
                bound = s16 / 2 + levels * abs(s - s16) + 1e-6
                for i in idx:
                    if not err[i] <= bound:
                        bad.append(f"W[{col}][{i // n}] = {w[i]} decoded {q[i]}: "
                                   f"error {err[i]:.4g} > step/2 = {bound:.4g}")
    if args.max_abs is not None and not max_abs <= args.max_abs:
        bad.append(f"max abs error {max_abs:.4g} > {args.max_abs}")
    if args.max_rel is not None and not rel <= args.max_rel:
        bad.append(f"relative error {rel:.4g} > {args.max_rel}")
    if bad:
        print(f"FAIL {len(bad)} check(s):")
        for b in bad[:10]:
            print("  " + b)
        return 1
    print(f"OK {k * n} weights: max abs err {max_abs:.3g}, rel err {rel:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
