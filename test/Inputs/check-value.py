#!/usr/bin/env python3
"""Checks a number a tool printed against an absolute anchor or another run.

Usage: check-value.py FILE --key KEY [--expect V --tol T] [--below OTHER]
                                     [--above OTHER] [--by D]
Reads the first line of FILE that starts with KEY and the number after it
(e.g. 'perplexity 39.0106'). --expect: |value - V| <= T. --below / --above:
the value is lower / higher than the same key's value in file OTHER, by at
least D (default 0). Prints 'OK KEY value ...' or 'FAIL KEY value ...' with
the reason, and exits non-zero on failure.
"""
import argparse
import re
import sys

NUMBER = r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf)"


def value(path, key):
    pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*[:=]?\s*" + NUMBER)
    with open(path) as f:
        for line in f:
            m = pattern.match(line)
            if m:
                return float(m.group(1))
    print(f"FAIL {key}: no line starting with '{key}' and a number in {path}")
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--key", required=True)
    parser.add_argument("--expect", type=float)
    parser.add_argument("--tol", type=float, default=0.0)
    parser.add_argument("--below")
    parser.add_argument("--above")
    parser.add_argument("--by", type=float, default=0.0)
    args = parser.parse_args()
    v = value(args.file, args.key)
    failures = []
    if args.expect is not None and not abs(v - args.expect) <= args.tol:
        failures.append(f"expected {args.expect} +- {args.tol}")
    if args.below:
        other = value(args.below, args.key)
        if not v <= other - args.by:
            failures.append(f"not below {other} by {args.by}")
    if args.above:
        other = value(args.above, args.key)
        if not v >= other + args.by:
            failures.append(f"not above {other} by {args.by}")
    if failures:
        print(f"FAIL {args.key} {v:g}: " + "; ".join(failures))
        return 1
    print(f"OK {args.key} {v:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
