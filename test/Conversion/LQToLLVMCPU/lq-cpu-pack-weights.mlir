// RUN: quant-opt %s --split-input-file --lq-cpu-pack-weights | FileCheck %s
// RUN: not quant-opt %s --split-input-file --lq-cpu-pack-weights=panel=0 2>&1 | FileCheck %s --check-prefix=RANGE

// A transposed-B linear layer on a constant weight [N=32, K=4] becomes a
// contraction over panels [2, 4, 16]; its role attribute carries over.
// CHECK-LABEL: func.func @transposed
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[INIT:.*]]: tensor<?x32xf32>)
// CHECK: %[[P:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2x4x16xf32>
// CHECK: %[[O:.*]] = tensor.expand_shape %[[INIT]] {{\[\[}}0], [1, 2]] output_shape {{.*}} : tensor<?x32xf32> into tensor<?x2x16xf32>
// CHECK: %[[G:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[X]], %[[P]] : tensor<?x4xf32>, tensor<2x4x16xf32>) outs(%[[O]] : tensor<?x2x16xf32>)
// CHECK-SAME: lq.role = "layers.0.attn.q"
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[G]] {{\[\[}}0], [1, 2]] : tensor<?x2x16xf32> into tensor<?x32xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: linalg.matmul
func.func @transposed(%x: tensor<?x4xf32>, %init: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %w = arith.constant dense<0.5> : tensor<32x4xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      {lq.role = "layers.0.attn.q"}
      ins(%x, %w : tensor<?x4xf32>, tensor<32x4xf32>) outs(%init : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// A plain [K, N] weight is packed the same way.
// CHECK-LABEL: func.func @plain
// CHECK: arith.constant dense_resource<{{.*}}> : tensor<1x8x16xf32>
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @plain(%x: tensor<2x8xf32>, %init: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %w = arith.constant dense<1.0> : tensor<8x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x16xf32>) outs(%init : tensor<2x16xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// Left alone: N not a multiple of the panel, a weight that is an argument,
// and an f16 weight.
// CHECK-LABEL: func.func @untouched
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: linalg.generic
func.func @untouched(%x: tensor<2x8xf32>, %v: tensor<8x16xf32>, %xh: tensor<2x8xf16>) -> (tensor<2x20xf32>, tensor<2x16xf32>, tensor<2x16xf16>) {
  %w = arith.constant dense<1.0> : tensor<8x20xf32>
  %i20 = tensor.empty() : tensor<2x20xf32>
  %a = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x20xf32>) outs(%i20 : tensor<2x20xf32>) -> tensor<2x20xf32>
  %i16 = tensor.empty() : tensor<2x16xf32>
  %b = linalg.matmul ins(%x, %v : tensor<2x8xf32>, tensor<8x16xf32>) outs(%i16 : tensor<2x16xf32>) -> tensor<2x16xf32>
  %wh = arith.constant dense<1.0> : tensor<8x16xf16>
  %ih = tensor.empty() : tensor<2x16xf16>
  %c = linalg.matmul ins(%xh, %wh : tensor<2x8xf16>, tensor<8x16xf16>) outs(%ih : tensor<2x16xf16>) -> tensor<2x16xf16>
  return %a, %b, %c : tensor<2x20xf32>, tensor<2x16xf32>, tensor<2x16xf16>
}

// -----

// The layout, by hand: W [4, 3] = rows (1 2 3) (4 5 6) (7 8 9) (10 11 12)
// in panels of 2 is P[b, k, j] = W[2b + j, k] = 1 4 2 5 3 6 7 10 8 11 9 12.
// RUN: quant-opt %s --split-input-file --lq-cpu-pack-weights=panel=2 | FileCheck %s --check-prefix=LAYOUT
// LAYOUT-LABEL: func.func @layout
// LAYOUT: arith.constant dense_resource<[[BLOB:.*]]> : tensor<2x3x2xf32>
// (The blob: an alignment word 4, then the f32 values little-endian.)
// LAYOUT: [[BLOB]]: "0x040000000000803F00008040000000400000A040000040400000C0400000E0400000204100000041000030410000104100004041"
func.func @layout(%x: tensor<1x3xf32>, %init: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<4x3xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<1x3xf32>, tensor<4x3xf32>) outs(%init : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// RANGE: error: lq-cpu-pack-weights: panel must be in [1, 64], got 0
