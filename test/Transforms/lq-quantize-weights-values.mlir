// Codes and scales of lq-quantize-weights pinned exactly on a weight small
// enough to quantize by hand (docs/Methods.md, docs/Layout.md): 4-bit
// codes packed LSB-first along K, two per byte; fp16 scales little-endian.
// The resource blobs start with their 4-byte alignment.
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=8" | FileCheck %s --check-prefix=SYM
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=4 symmetric=false" | FileCheck %s --check-prefix=ASYM
// Without statistics GPTQ is round to nearest: the same bytes.
// RUN: quant-opt %s --lq-quantize-weights="method=gptq bits=4 group=8" 2>/dev/null | FileCheck %s --check-prefix=SYM
// RUN: quant-opt %s --lq-quantize-weights="method=gptq bits=4 group=4 symmetric=false" 2>/dev/null | FileCheck %s --check-prefix=ASYM

// Symmetric, one group per row: w = (q - 8) s, s = max(-min/8, max/7).
// Row 0: max 3.5, s = 0.5 (fp16 0x3800), q = w/s + 8 = 8, 9, ..., 15.
// Row 1: min -2, s = 0.25 (0x3400), q = w/s + 8 = 0, 1, ..., 6 and
// round(-0.26/0.25) + 8 = 7.
// SYM: lq.constant codes(dense_resource<matmul0.codes> : tensor<2x4xi8>) scales(dense_resource<matmul0.scales> : tensor<2x1xf16>) : !lq.weight<2x8, #lq.uniform<bits = 4, group = 8>>
// SYM: matmul0.codes: "0x0100000098BADCFE10325476",
// SYM-NEXT: matmul0.scales: "0x0200000000380034"

// Asymmetric, groups of 4: s = (max - min)/15 with zero in the range,
// z = round(-min/s), q = round(w/s16) + z.
// Row 0, group 0: s = 0.1 (fp16 0x2E66 = 0.09998), z = 0, q = 0, 5, 10, 15.
//        group 1: s = 3.5/15 (0x3377 = 0.23328), z = 0, q = 9, 11, 13, 15.
// Row 1, group 0: s = 2/15 (0x3044 = 0.13330), z = 15, q = 0, 2, 4, 6.
//        group 1: s = 1/15 (0x2C44 = 0.06665), z = 15, q = 0, 4, 7, 11
//        (-0.5/s16 = -7.502 rounds to -8).
// ASYM: lq.constant codes(dense_resource<matmul0.codes> : tensor<2x4xi8>) scales(dense_resource<matmul0.scales> : tensor<2x2xf16>) zero_points(dense_resource<matmul0.zero_points> : tensor<2x2xi8>) : !lq.weight<2x8, #lq.uniform<bits = 4, group = 4, symmetric = false>>
// ASYM: matmul0.codes: "0x0100000050FAB9FD206440B7",
// ASYM-NEXT: matmul0.scales: "0x02000000662E77334430442C",
// ASYM-NEXT: matmul0.zero_points: "0x0100000000000F0F"
func.func @hand(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5],
                             [-2.0, -1.75, -1.5, -1.25, -1.0, -0.75, -0.5, -0.26]]> : tensor<2x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<1x8xf32>, tensor<2x8xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
