#!/usr/bin/env python3
"""Counts a module's operations per function, for structural checks over
the whole module (a CHECK-NOT stops at the next positive match; a count
does not).

Usage: op-counts.py [FILE] [--ops PREFIX,...]
Prints, for each func.func in order, '@name' and then one line per kind of
operation whose name starts with one of the prefixes (default 'lq.'),
sorted: '  <op>[ detail] <count>'. lq.matmul carries its activation bits
(act(N)), lq.kv_quantize/lq.kv_dequantize their bits(N), lq.constant its
encoding and width, so a linear left at float activations or at another
width, or a cache left unquantized, changes a line.
"""
import argparse
import collections
import re
import sys

FUNC = re.compile(r"^\s*func\.func\s+(?:private\s+)?@([\w.$-]+)")
# An operation: 'name' after '= ' or at the start of a line (no results).
OP = re.compile(r"(?:^\s*|=\s*)\"?([a-z_][\w]*\.[\w.]+)\"?[\s(<{\"]")
DETAIL = {
    "lq.matmul": re.compile(r"\b(act\(\d+\))"),
    "lq.kv_quantize": re.compile(r"\b(bits\(\d+\))"),
    "lq.kv_dequantize": re.compile(r"\b(bits\(\d+\))"),
    "lq.constant": re.compile(r"!lq\.weight<[^,]*, #lq\.(\w+)<(?:bits = (\d+))?"),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default="-")
    parser.add_argument("--ops", default="lq.")
    args = parser.parse_args()
    prefixes = tuple(args.ops.split(","))
    text = sys.stdin.read() if args.file == "-" else open(args.file).read()
    functions = []
    for line in text.splitlines():
        if line.startswith("{-#"):
            break  # the resource section: blobs, not operations
        m = FUNC.match(line)
        if m:
            functions.append((m.group(1), collections.Counter()))
            continue
        if not functions:
            continue
        m = OP.search(line)
        if not m or not m.group(1).startswith(prefixes):
            continue
        name = m.group(1)
        if name in DETAIL:
            d = DETAIL[name].search(line[m.end(1):])
            if d and name == "lq.constant":
                name += f" {d.group(1)}" + (f" bits({d.group(2)})" if d.group(2) else "")
            elif d:
                name += " " + d.group(1)
        functions[-1][1][name] += 1
    for name, counts in functions:
        print(f"@{name}")
        for op in sorted(counts):
            print(f"  {op} {counts[op]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
