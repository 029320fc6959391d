#!/usr/bin/env python3
"""Compares the NLL that two `quant-run perplexity` outputs print.

Usage: compare-nll.py A B [--rtol R]
Prints 'NLL MATCH a b' when |a - b| <= rtol * |b|, else 'NLL MISMATCH a b'
and exits non-zero.
"""
import argparse
import re
import sys


def nll(path):
    with open(path) as f:
        match = re.search(r"\bnll ([-+0-9.eE]+)", f.read())
    if not match:
        sys.exit(f"no 'nll' in {path}")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rtol", type=float, default=1e-5)
    args = parser.parse_args()
    a, b = nll(args.a), nll(args.b)
    ok = abs(a - b) <= args.rtol * abs(b)
    print(f"NLL {'MATCH' if ok else 'MISMATCH'} {a} {b} (relative {abs(a - b) / abs(b):.2e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
