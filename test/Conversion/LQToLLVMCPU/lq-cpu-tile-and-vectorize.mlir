// RUN: quant-opt %s --lq-cpu-tile-and-vectorize | FileCheck %s
// RUN: quant-opt %s --lq-cpu-tile-and-vectorize="tile-m=2 tile-n=8 tile-k=4" | FileCheck %s --check-prefix=SMALL
// RUN: not quant-opt %s --lq-cpu-tile-and-vectorize="tile-n=65" 2>&1 | FileCheck %s --check-prefix=RANGE

// A contraction with a dynamic row count: columns outside rows, a 4x16
// accumulator carried in registers through the reduction loop (8 per
// step: 4 x 8 = 32 FMAs on 16-wide vectors), then the peeled remainder rows
// one at a time (8 FMAs each), with no masks and no linalg op left.
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.matmul
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK: scf.for %[[M:.*]] = %{{.*}} to %{{.*}} step %c4
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : memref<4x16xf32, {{.*}}>, vector<4x16xf32>
// CHECK: scf.for {{.*}} step %c8 iter_args(%{{.*}} = %[[ACC]]) -> (vector<4x16xf32>)
// CHECK-COUNT-32: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_write {{.*}} : vector<4x16xf32>
// CHECK: scf.for {{.*}} step %c4
// CHECK: scf.for {{.*}} step %c8
// CHECK: scf.for {{.*}} step %c1
// CHECK-COUNT-8: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: return
// SMALL-LABEL: func.func @matmul
// SMALL: scf.for {{.*}} step %c8
// SMALL: scf.for {{.*}} step %c2
// SMALL: scf.for {{.*}} step %c4 iter_args({{.*}}) -> (vector<2x8xf32>)
// SMALL-COUNT-8: vector.fma {{.*}} : vector<8xf32>
// SMALL-NOT: vector.fma
// SMALL: scf.yield
func.func @matmul(%x: memref<?x32xf32>, %w: memref<32x48xf32>, %y: memref<?x48xf32>) {
  linalg.matmul ins(%x, %w : memref<?x32xf32>, memref<32x48xf32>) outs(%y : memref<?x48xf32>)
  return
}

// An element-wise exp: 16-wide vectors along the contiguous dimension, and
// the exp as a polynomial (no scalar libm calls later).
// CHECK-LABEL: func.func @exp
// CHECK: scf.for {{.*}} step %c1
// CHECK: scf.for {{.*}} step %c16
// CHECK: vector.transfer_read {{.*}} vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>
func.func @exp(%x: memref<4x64xf32>, %y: memref<4x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x64xf32>) outs(%y : memref<4x64xf32>) {
    ^bb0(%a: f32, %b: f32):
      %e = math.exp %a : f32
      linalg.yield %e : f32
  }
  return
}

// A transposed read of the innermost dimension is not contiguous: left for
// the loop lowering.
// CHECK-LABEL: func.func @transposed
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @transposed(%x: memref<64x64xf32>, %y: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<64x64xf32>) outs(%y : memref<64x64xf32>) {
    ^bb0(%a: f32, %b: f32):
      %n = arith.negf %a : f32
      linalg.yield %n : f32
  }
  return
}

// RANGE: error: lq-cpu-tile-and-vectorize: tile-n must be in [1, 64], got 65
