#!/usr/bin/env python3
"""Prints the calibration statistics of a textual model module, one line per
linear and attribute: '<role> <attr> <values...>' (floats as %g), reading
dense_resource blobs (f32) from the module's dialect_resources section."""
import re
import struct
import sys

text = open(sys.argv[1]).read()
blobs = {}
for name, data in re.findall(r'^\s*"?([\w.\-]+)"?\s*:\s*"0x([0-9A-Fa-f]+)"', text, re.M):
    blobs[name] = bytes.fromhex(data)[4:]  # the first 4 bytes hold the alignment

ATTR = re.compile(r'(lq\.\w+) = (dense_resource<([^>]+)>|dense<([^>]*)> : tensor<(\d+)xf32>|(-?\d+) : i64)')
seen = set()
for line in text.splitlines():
    role = re.search(r'lq\.role = "([^"]+)"', line)
    if not role or role.group(1) in seen:
        continue
    seen.add(role.group(1))
    for m in ATTR.finditer(line):
        name = m.group(1)
        if m.group(3):
            raw = blobs[m.group(3).strip('"')]  # statistics are f32
            values = struct.unpack("<%df" % (len(raw) // 4), raw)
        elif m.group(4) is not None:
            values = [float(v) for v in re.findall(r'[-+]?[\d.]+(?:e[-+]?\d+)?', m.group(4))]
            if len(values) == 1:  # a splat
                values = values * int(m.group(5))
        else:
            values = [int(m.group(6))]
        print(role.group(1), name, " ".join("%g" % v for v in values))
