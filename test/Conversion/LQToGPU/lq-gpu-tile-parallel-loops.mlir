// RUN: quant-opt %s --lq-gpu-tile-parallel-loops="threads=256" --split-input-file | FileCheck %s

// The innermost dimension is cut into blocks of 256 threads, the others
// into tiles of one; the inner loop has constant bounds and a bounds check.
// CHECK-LABEL: func.func @two_dims(
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[S0:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:         %[[S1:.*]] = arith.muli %{{.*}}, %[[C256]] : index
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%[[S0]], %[[S1]])
// CHECK:           scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%[[S0]], %[[S1]])
// CHECK:             scf.if
// CHECK:               memref.store
func.func @two_dims(%out: memref<4x384xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c384 = arith.constant 384 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c384) step (%c1, %c1) {
    memref.store %cst, %out[%i, %j] : memref<4x384xf32>
  }
  return
}

// -----

// Nested loops are left to the outer one's tiling; functions not listed are
// left alone.
// RUN: quant-opt %s --lq-gpu-tile-parallel-loops="functions=other" --split-input-file | FileCheck %s --check-prefix=SKIP
// SKIP-LABEL: func.func @one_dim(
// SKIP:         scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// SKIP-NEXT:      memref.store
// CHECK-LABEL: func.func @one_dim(
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK-NOT:         scf.parallel
func.func @one_dim(%out: memref<100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c100) step (%c1) {
    memref.store %cst, %out[%i] : memref<100xf32>
  }
  return
}
func.func @other() {
  return
}
