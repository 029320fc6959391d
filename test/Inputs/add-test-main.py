#!/usr/bin/env python3
"""Adds a runner entry point to a textual model module (docs/ModelIR.md).

Usage: add-test-main.py MODEL.mlir {forward,decode} ID,ID,... > OUT.mlir

forward: one @forward call over all ids, printing the [1, T, vocab] logits.
decode: one @decode call per position from zeroed caches, printing each
[1, vocab] row. Both print with printMemrefF32, so the two outputs hold the
same numbers when the functions agree (compare-floats.py).
"""
import re
import sys


def main():
    path, mode, ids = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3].split(",")]
    text = open(path).read()
    attrs = re.search(r"lq\.model = \{([^}]*)\}", text).group(1)
    get = lambda key: int(re.search(key + r" = (\d+) : i64", attrs).group(1))
    L, KV, C, H, V = (get(k) for k in ("layers", "kv_heads", "context", "head_dim", "vocab"))
    n = len(ids)
    cache = f"tensor<{L}x{KV}x{C}x{H}xf32>"
    if mode == "forward":
        body = f"""
  func.func @main() {{
    %ids = arith.constant dense<[{ids}]> : tensor<1x{n}xi64>
    %t = tensor.cast %ids : tensor<1x{n}xi64> to tensor<1x?xi64>
    %l = func.call @forward(%t) : (tensor<1x?xi64>) -> tensor<1x?x{V}xf32>
    %u = tensor.cast %l : tensor<1x?x{V}xf32> to tensor<*xf32>
    func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
    return
  }}"""
    else:
        body = f"""
  func.func @main() {{
    %ids = arith.constant dense<{ids}> : tensor<{n}xi64>
    %zero = arith.constant 0.0 : f32
    %ek = tensor.empty() : {cache}
    %ev = tensor.empty() : {cache}
    %k0 = linalg.fill ins(%zero : f32) outs(%ek : {cache}) -> {cache}
    %v0 = linalg.fill ins(%zero : f32) outs(%ev : {cache}) -> {cache}
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = arith.constant {n} : index
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%k = %k0, %v = %v0) -> ({cache}, {cache}) {{
      %tok = tensor.extract_slice %ids[%i] [1] [1] : tensor<{n}xi64> to tensor<1xi64>
      %p64 = arith.index_cast %i : index to i64
      %pos = tensor.from_elements %p64 : tensor<1xi64>
      %l, %k2, %v2 = func.call @decode(%tok, %pos, %k, %v)
          : (tensor<1xi64>, tensor<1xi64>, {cache}, {cache}) -> (tensor<1x{V}xf32>, {cache}, {cache})
      %u = tensor.cast %l : tensor<1x{V}xf32> to tensor<*xf32>
      func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
      scf.yield %k2, %v2 : {cache}, {cache}
    }}
    return
  }}"""
    body += "\n  func.func private @printMemrefF32(tensor<*xf32>)\n"
    # The module's closing brace is the only line that is exactly "}".
    lines = text.split("\n")
    end = lines.index("}")
    lines[end:end] = body.split("\n")
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
