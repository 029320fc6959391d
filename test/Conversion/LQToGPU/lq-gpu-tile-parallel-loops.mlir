// RUN: quant-opt %s --lq-gpu-tile-parallel-loops="threads=256" --split-input-file | FileCheck %s

// The loop is collapsed into one dimension (4 x 384 = 1536 iterations),
// cut into blocks of 256 threads; the inner loop has constant bounds and a
// bounds check, and the store's indices are recovered by div/rem.
// CHECK-LABEL: func.func @two_dims(
// CHECK:         %[[N0:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:         %[[N:.*]] = arith.muli %[[N0]], %{{.*}} : index
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[STEP:.*]] = arith.muli %{{.*}}, %[[C256]] : index
// CHECK:         scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[N]]) step (%[[STEP]])
// CHECK:           scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[STEP]])
// CHECK:             %[[I:.*]] = arith.addi %[[T]], %[[B]] : index
// CHECK:             arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK:             scf.if
// CHECK:               %[[J:.*]] = arith.remsi %[[I]], %{{.*}} : index
// CHECK:               %[[ROW:.*]] = arith.divsi %[[I]], %{{.*}} : index
// CHECK:               memref.store %{{.*}}, %{{.*}}[%[[ROW]], %[[J]]]
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

// A dynamic dimension behind a unit one (a KV cache's positions) is
// collapsed with the others: blocks cover all of it, none runs it serially.
// CHECK-LABEL: func.func @dynamic_inner(
// CHECK-SAME:    %[[OUT:.*]]: memref<2x3x1x?xf32>, %[[N:.*]]: index
// CHECK:         %[[P0:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:         %[[P1:.*]] = arith.muli %[[P0]], %{{.*}} : index
// CHECK:         %[[P2:.*]] = arith.muli %[[P1]], %{{.*}} : index
// CHECK:         %[[P:.*]] = arith.muli %[[P2]], %[[N]] : index
// CHECK:         scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[P]])
// CHECK:           scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}})
// CHECK-NOT:         scf.for
// CHECK:             memref.store
func.func @dynamic_inner(%out: memref<2x3x1x?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%c2, %c3, %c1, %n) step (%c1, %c1, %c1, %c1) {
    memref.store %cst, %out[%i, %j, %k, %l] : memref<2x3x1x?xf32>
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
