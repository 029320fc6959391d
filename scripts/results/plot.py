#!/usr/bin/env python3
"""Line plot of perplexity vs bits per weight, one series per method, as PNG.

Standard library only (zlib + struct), with a built-in 5x7 bitmap font, so
the results regenerate on a bare Debian machine.

  plot.py results.json out.png "title"

results.json: [{"method": str, "bpw": float, "ppl": float}, ...]; the row
with method "fp32" is drawn as a horizontal reference line.
"""
import json
import math
import struct
import sys
import zlib

# 5x7 glyphs, one string of 7 rows of 5 bits per character.
FONT = {
    "0": "01110100011001110101110011000101110", "1": "00100011000010000100001000010001110",
    "2": "01110100010000100010001000100011111", "3": "11111000100010000010000011000101110",
    "4": "00010001100101010010111110001000010", "5": "11111100001111000001000011000101110",
    "6": "00110010001000011110100011000101110", "7": "11111000010001000100010000100001000",
    "8": "01110100011000101110100011000101110", "9": "01110100011000101111000010001001100",
    ".": "00000000000000000000000000110001100", "-": "00000000000000011111000000000000000",
    " ": "0" * 35, "(": "00010001000100001000010000010000010", ")": "01000001000001000010000100010001000",
    ",": "00000000000000000000011000010001000", "/": "00000000010001000100010001000000000",
    ":": "00000011000110000000011000110000000", "=": "00000000001111100000111110000000000",
    "+": "00000001000010011111001000010000000", "%": "11000110010001000100010001001100011",
    "_": "00000000000000000000000000000011111",
}
LETTERS = {
    "A": "01110100011000111111100011000110001", "B": "11110100011000111110100011000111110",
    "C": "01110100011000010000100001000101110", "D": "11100100101000110001100011001011100",
    "E": "11111100001000011110100001000011111", "F": "11111100001000011110100001000010000",
    "G": "01110100011000010111100011000101111", "H": "10001100011000111111100011000110001",
    "I": "01110001000010000100001000010001110", "J": "00111000100001000010000101001001100",
    "K": "10001100101010011000101001001010001", "L": "10000100001000010000100001000011111",
    "M": "10001110111010110101100011000110001", "N": "10001100011100110101100111000110001",
    "O": "01110100011000110001100011000101110", "P": "11110100011000111110100001000010000",
    "Q": "01110100011000110001101011001001101", "R": "11110100011000111110101001001010001",
    "S": "01111100001000001110000010000111110", "T": "11111001000010000100001000010000100",
    "U": "10001100011000110001100011000101110", "V": "10001100011000110001100010101000100",
    "W": "10001100011000110101101011010101010", "X": "10001100010101000100010101000110001",
    "Y": "10001100011000101010001000010000100", "Z": "11111000010001000100010001000011111",
}
FONT.update(LETTERS)
COLORS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14),
          (140, 86, 75), (227, 119, 194), (23, 190, 207)]


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray([255] * (w * h * 3))

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = (y * self.w + x) * 3
            self.px[i:i + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c, width=1):
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for i in range(n + 1):
            t = i / n
            x, y = round(x0 + (x1 - x0) * t), round(y0 + (y1 - y0) * t)
            for dx in range(-(width // 2), width - width // 2):
                for dy in range(-(width // 2), width - width // 2):
                    self.set(x + dx, y + dy, c)

    def dot(self, x, y, c, r=3):
        for dx in range(-r, r + 1):
            for dy in range(-r, r + 1):
                if dx * dx + dy * dy <= r * r:
                    self.set(round(x) + dx, round(y) + dy, c)

    def text(self, x, y, s, c=(0, 0, 0), scale=2):
        for ch in s.upper():
            glyph = FONT.get(ch, FONT[" "])
            for r in range(7):
                for col in range(5):
                    if glyph[r * 5 + col] == "1":
                        for sx in range(scale):
                            for sy in range(scale):
                                self.set(x + col * scale + sx, y + r * scale + sy, c)
            x += 6 * scale

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))
        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


def nice_ticks(lo, hi, n=5):
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-9:
        out.append(t)
        t += step
    return out


def main():
    rows = json.load(open(sys.argv[1]))
    out, title = sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
    ref = [r for r in rows if r["method"] == "fp32"]
    pts = [r for r in rows if r["method"] != "fp32" and math.isfinite(r["ppl"])]
    W, H, L, R, T, B = 900, 600, 110, 230, 60, 70
    cv = Canvas(W, H)
    xs = [r["bpw"] for r in pts]
    ys = [math.log(r["ppl"]) for r in pts + ref]
    x0, x1 = min(xs) - 0.2, max(xs) + 0.2
    y0, y1 = min(ys) - 0.05, max(ys) + 0.05
    fx = lambda x: L + (x - x0) / (x1 - x0) * (W - L - R)
    fy = lambda y: H - B - (y - y0) / (y1 - y0) * (H - T - B)
    cv.line(L, H - B, W - R, H - B, (0, 0, 0))
    cv.line(L, T, L, H - B, (0, 0, 0))
    for t in nice_ticks(x0, x1, 8):
        cv.line(fx(t), H - B, fx(t), H - B + 6, (0, 0, 0))
        cv.text(int(fx(t)) - 15, H - B + 12, f"{t:.2f}".rstrip("0").rstrip("."))
    lo, hi = math.exp(y0), math.exp(y1)
    if hi / lo > 5:  # log axis: 1-2-5 ticks per decade
        ticks = [m * 10 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                 for m in (1, 2, 5) if lo <= m * 10 ** e <= hi]
    else:
        ticks = [t for t in nice_ticks(lo, hi, 6) if t > 0]
    for t in ticks:
        y = fy(math.log(t))
        cv.line(L - 6, y, L, y, (0, 0, 0))
        cv.line(L, y, W - R, y, (225, 225, 225))
        cv.text(8, int(y) - 7, f"{t:g}")
    cv.text(L + (W - L - R) // 2 - 100, H - 30, "BITS PER WEIGHT")
    cv.text(8, 20, "PERPLEXITY (LOG SCALE)")
    cv.text(L + 220, 20, title)
    methods = []
    for r in pts:
        if r["method"] not in methods:
            methods.append(r["method"])
    for i, m in enumerate(methods):
        c = COLORS[i % len(COLORS)]
        series = sorted((r["bpw"], math.log(r["ppl"])) for r in pts if r["method"] == m)
        for (a, b), (p, q) in zip(series, series[1:]):
            cv.line(fx(a), fy(b), fx(p), fy(q), c, 2)
        for a, b in series:
            cv.dot(fx(a), fy(b), c)
        cv.dot(W - R + 25, T + 20 + 26 * i, c)
        cv.text(W - R + 40, T + 13 + 26 * i, m)
    for r in ref:
        y = fy(math.log(r["ppl"]))
        for x in range(L, W - R, 12):
            cv.line(x, y, x + 6, y, (90, 90, 90))
        cv.text(W - R + 40, T + 13 + 26 * len(methods), "FP32")
        cv.line(W - R + 15, T + 20 + 26 * len(methods), W - R + 32, T + 20 + 26 * len(methods),
                (90, 90, 90), 2)
    cv.png(out)


if __name__ == "__main__":
    main()
