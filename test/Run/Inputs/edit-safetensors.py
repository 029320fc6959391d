#!/usr/bin/env python3
"""Copies a safetensors file with one tensor's header entry changed (its
shape or dtype), the data left as it is: a weights file that no longer
matches the library it was written for."""
import argparse
import json
import struct

parser = argparse.ArgumentParser()
parser.add_argument("src")
parser.add_argument("dst")
parser.add_argument("--name", required=True)
parser.add_argument("--shape", help="comma-separated dimensions")
parser.add_argument("--dtype")
args = parser.parse_args()

data = open(args.src, "rb").read()
length = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + length])
entry = header[args.name]
if args.shape:
    entry["shape"] = [int(d) for d in args.shape.split(",")]
if args.dtype:
    entry["dtype"] = args.dtype
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (length - len(text)) if len(text) <= length else b""
if len(text) != length:
    raise SystemExit("the edited header does not fit in the original's length")
open(args.dst, "wb").write(data[:8] + text + data[8 + length:])
