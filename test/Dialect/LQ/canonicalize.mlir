// RUN: quant-opt %s -canonicalize -split-input-file | FileCheck %s

// A transform followed by its inverse folds away.
// CHECK-LABEL: func.func @scale_pair
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @scale_pair(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = lq.fpt.scale %x {scale = dense<[1.0, 2.0, 4.0, 0.5]> : tensor<4xf32>} : tensor<3x4xf32>
  %1 = lq.fpt.scale %0 {scale = dense<[1.0, 2.0, 4.0, 0.5]> : tensor<4xf32>, inverse} : tensor<3x4xf32>
  return %1 : tensor<3x4xf32>
}

// -----

// Different scales do not cancel.
// CHECK-LABEL: func.func @scale_mismatch
// CHECK-COUNT-2: lq.fpt.scale
func.func @scale_mismatch(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = lq.fpt.scale %x {scale = dense<[1.0, 2.0, 4.0, 0.5]> : tensor<4xf32>} : tensor<3x4xf32>
  %1 = lq.fpt.scale %0 {scale = dense<[1.0, 2.0, 4.0, 1.0]> : tensor<4xf32>, inverse} : tensor<3x4xf32>
  return %1 : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @rotate_pair
// CHECK-NOT: lq.fpt
// CHECK: return
func.func @rotate_pair(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = lq.fpt.rotate %x {inverse} : tensor<3x4xf32>
  %1 = lq.fpt.rotate %0 : tensor<3x4xf32>
  return %1 : tensor<3x4xf32>
}

// -----

// An online rotation and its (to be merged) inverse stay: folding them would
// drop the run-time rotation the pair exists for.
// CHECK-LABEL: func.func @online_rotate_pair
// CHECK: %[[R:.*]] = lq.fpt.rotate %{{.*}} {block = 2 : i64, online}
// CHECK: lq.fpt.rotate %[[R]] {block = 2 : i64, inverse}
func.func @online_rotate_pair(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = lq.fpt.rotate %x {block = 2 : i64, online} : tensor<3x4xf32>
  %1 = lq.fpt.rotate %0 {block = 2 : i64, inverse} : tensor<3x4xf32>
  return %1 : tensor<3x4xf32>
}

// -----

// T^-1 written as a linear transform with matrix and inverse swapped.
// CHECK-LABEL: func.func @linear_swapped
// CHECK-NOT: lq.fpt
// CHECK: return
func.func @linear_swapped(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %0 = lq.fpt.linear %x {matrix = dense<[[[2.0, 0.0], [0.0, 4.0]]]> : tensor<1x2x2xf32>,
                         inverse_matrix = dense<[[[0.5, 0.0], [0.0, 0.25]]]> : tensor<1x2x2xf32>} : tensor<3x2xf32>
  %1 = lq.fpt.linear %0 {matrix = dense<[[[0.5, 0.0], [0.0, 0.25]]]> : tensor<1x2x2xf32>,
                         inverse_matrix = dense<[[[2.0, 0.0], [0.0, 4.0]]]> : tensor<1x2x2xf32>} : tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// rope_scale M then M^-1 cancels; M^-T (the query side) does not cancel M.
// CHECK-LABEL: func.func @rope
// CHECK-COUNT-2: lq.fpt.rope_scale
// CHECK-NOT: lq.fpt.rope_scale
func.func @rope(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = lq.fpt.rope_scale %x {scales = dense<2.0> : tensor<1x2xf32>, angles = dense<0.5> : tensor<1x2xf32>} : tensor<3x4xf32>
  %1 = lq.fpt.rope_scale %0 {scales = dense<2.0> : tensor<1x2xf32>, angles = dense<0.5> : tensor<1x2xf32>, inverse} : tensor<3x4xf32>
  %2 = lq.fpt.rope_scale %1 {scales = dense<2.0> : tensor<1x2xf32>, angles = dense<0.5> : tensor<1x2xf32>} : tensor<3x4xf32>
  %3 = lq.fpt.rope_scale %2 {scales = dense<2.0> : tensor<1x2xf32>, angles = dense<0.5> : tensor<1x2xf32>, inverse, transpose} : tensor<3x4xf32>
  return %1, %3 : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// The residual scaler cancels only against the same per-token scaler.
// CHECK-LABEL: func.func @residual
// CHECK-COUNT-2: lq.fpt.residual_scale
// CHECK-NOT: lq.fpt.residual_scale
func.func @residual(%x: tensor<3x4xf32>, %r: tensor<3x1xf32>, %s: tensor<3x1xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = lq.fpt.residual_scale %x, %r : tensor<3x4xf32>, tensor<3x1xf32>
  %1 = lq.fpt.residual_scale %0, %r {inverse} : tensor<3x4xf32>, tensor<3x1xf32>
  %2 = lq.fpt.residual_scale %0, %s {inverse} : tensor<3x4xf32>, tensor<3x1xf32>
  return %1, %2 : tensor<3x4xf32>, tensor<3x4xf32>
}
