#!/usr/bin/env python3
"""Writes the weights file of the fake bundle (fake_table.c), well-formed or
broken in one way, with the standard library only.

Usage: make_weights.py BUNDLE_DIR TARGET CASE
writes BUNDLE_DIR/TARGET/weights.safetensors. The good file holds the
manifest's four tensors (F32 [4, 3] and [4] for linear 0, F32 [2, 4] and [2]
for linear 1) out of manifest order, after an extra U8 tensor of 5 bytes
(so the F32 data is not 4-byte aligned), with __metadata__ and a name
spelled with escapes. Every other case breaks one thing.
"""
import json
import os
import struct
import sys


def floats(values):
    return struct.pack("<%df" % len(values), *values)


def tensors():
    # W0[i][j] = i + 1 + j / 4, b0[i] = 10 i; W1[i][j] = (i + 1) (j + 1) / 2, b1 = [100, 200].
    w0 = [i + 1 + j / 4 for i in range(4) for j in range(3)]
    w1 = [(i + 1) * (j + 1) / 2 for i in range(2) for j in range(4)]
    return [
        ("extra.bytes", "U8", [5], bytes([1, 2, 3, 4, 5])),
        ("lin1.weight", "F32", [2, 4], floats(w1)),
        ("lin0.bias", "F32", [4], floats([10 * i for i in range(4)])),
        ("lin0.weight", "F32", [4, 3], floats(w0)),
        ("lin1.bias", "F32", [2], floats([100, 200])),
    ]


def header_and_data(entries, metadata=True):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = {"format": "pt", "note": "caf\u00e9 \u2603"}
    for name, dtype, shape, blob in entries:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return header, data


def encode(header):
    # ensure_ascii: non-ASCII (and the lin1.bias name below) as \u escapes.
    text = json.dumps(header, ensure_ascii=True)
    text = text.replace('"lin1.bias"', '"lin1\\u002ebias"')
    raw = text.encode()
    raw += b" " * (-len(raw) % 8)  # padding, as the safetensors writers do
    return raw


def build(case):
    entries = tensors()
    if case == "missing":
        entries = [e for e in entries if e[0] != "lin1.weight"]
    elif case == "dtype":
        entries = [(n, "I32" if n == "lin0.bias" else d, s, b) for n, d, s, b in entries]
    elif case == "shape":
        entries = [(n, d, [3, 4] if n == "lin0.weight" else s, b) for n, d, s, b in entries]
    header, data = header_and_data(entries)
    if case == "size":
        header["lin0.bias"]["shape"] = [5]
    elif case == "offsets":
        begin = header["lin0.weight"]["data_offsets"][0]
        header["lin0.weight"]["data_offsets"] = [begin + 48, begin + 96]
    elif case == "reversed":
        begin, end = header["lin0.bias"]["data_offsets"]
        header["lin0.bias"]["data_offsets"] = [end, begin]
    elif case == "overflow":
        header["extra.bytes"]["shape"] = [2**40, 2**40]
    elif case == "huge":
        header["extra.bytes"]["data_offsets"] = [0, 2**64]
    elif case == "dtype-unknown":
        header["extra.bytes"]["dtype"] = "Q3"
    elif case == "no-offsets":
        del header["extra.bytes"]["data_offsets"]
    raw = encode(header)
    if case == "json":
        raw = b'{"lin0.weight": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 48],}}'
    elif case == "json-string":
        raw = b'{"lin0.weight\x01": {}}'
    elif case == "json-escape":
        raw = b'{"lin0\\ud800x": {}}'
    elif case == "json-deep":
        raw = b'{"__metadata__": {}, "x": {"dtype": "F32", "future": ' + b"[" * 100 + b"]" * 100 + b"}}"
    elif case == "json-trailing":
        raw = encode(header) + b"}"
    elif case == "json-unterminated":
        raw = b'{"lin0.weight": {"dtype": "F3'
    elif case == "duplicate":
        text = encode(header).decode().rstrip()
        raw = (text[:-1] + ', "lin0.bias": ' + json.dumps(header["lin0.bias"]) + "}").encode()
    blob = struct.pack("<Q", len(raw)) + raw + data
    if case == "truncated":
        blob = blob[:-3]
    elif case == "header-length":
        blob = struct.pack("<Q", len(raw) + len(data) + 1) + raw + data
    elif case == "tiny":
        blob = b"\x10\x00\x00"
    elif case == "garbage":
        blob = struct.pack("<Q", 24) + bytes(range(200, 224)) + data
    return blob


def main():
    directory, target, case = sys.argv[1:4]
    os.makedirs(os.path.join(directory, target), exist_ok=True)
    with open(os.path.join(directory, target, "weights.safetensors"), "wb") as f:
        f.write(build(case))


if __name__ == "__main__":
    main()
