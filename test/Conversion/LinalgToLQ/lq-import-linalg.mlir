// RUN: quant-opt %s --split-input-file --lq-import-linalg --verify-diagnostics | FileCheck %s

// The rewrite of each pattern (lq-import-linalg-preserve.mlir runs them) and
// the remark for each form left as it is.

// HEIR's LeNet form: a linalg.transpose of the [out, in] weight, then
// linalg.matmul; the frontend's own constant is reused and the transpose is
// gone. The bias add after it stays as it was.
// CHECK-LABEL: func.func @transposed_weight
// CHECK-SAME: (%[[X:.*]]: tensor<2x6xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[W:.*]] = arith.constant dense_resource<fc1.weight> : tensor<5x6xf32>
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#[[$MA:.*]], #[[$MB:.*]], #[[$MC:.*]]] {lq.role = "fc1.weight"} ins(%[[X]], %[[W]] : tensor<2x6xf32>, tensor<5x6xf32>) outs(%[[F]] : tensor<2x5xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<2x5xf32>, tensor<5xf32>)
func.func @transposed_weight(%x: tensor<2x6xf32>) -> tensor<2x5xf32> {
  %w = arith.constant dense_resource<fc1.weight> : tensor<5x6xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x5xf32>
  %wt = linalg.transpose ins(%w : tensor<5x6xf32>) outs(%e : tensor<6x5xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<2x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<2x6xf32>, tensor<6x5xf32>) outs(%f : tensor<2x5xf32>) -> tensor<2x5xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %b : tensor<2x5xf32>, tensor<5xf32>) outs(%e2 : tensor<2x5xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}
// CHECK-DAG: #[[$MA]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$MB]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$MC]] = affine_map<(d0, d1, d2) -> (d0, d1)>

{-#
  dialect_resources: {
    builtin: {
      fc1.weight: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000"
    }
  }
#-}

// -----

// torch-mlir's aten.linear: a linalg.generic transpose of the weight, a
// broadcast to 1xKxN, linalg.batch_matmul with dynamic tokens. The batch
// folds into the tokens: [1, T, K] -> [T, K] and back.
// CHECK-LABEL: func.func @torch_linear
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x6xf32>)
// CHECK-NOT: linalg.batch_matmul
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<1x?x6xf32>
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<1x?x6xf32> into tensor<?x6xf32>
// CHECK: %[[W:.*]] = arith.constant dense_resource<model.layers.0.mlp.up_proj.weight> : tensor<5x6xf32>
// CHECK: %[[Y:.*]] = linalg.matmul {{.*}} {lq.role = "model.layers.0.mlp.up_proj.weight"} ins(%[[XC]], %[[W]] : tensor<?x6xf32>, tensor<5x6xf32>)
// CHECK: %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [1, %[[T]], 5] : tensor<?x5xf32> into tensor<1x?x5xf32>
// CHECK: return %[[YE]]
func.func @torch_linear(%x: tensor<1x?x6xf32>) -> tensor<1x?x5xf32> {
  %c1 = arith.constant 1 : index
  %w = arith.constant dense_resource<model.layers.0.mlp.up_proj.weight> : tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x5xf32>
  %wt = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<5x6xf32>) outs(%e : tensor<6x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<6x5xf32>
  %e3 = tensor.empty() : tensor<1x6x5xf32>
  %wb = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%wt : tensor<6x5xf32>) outs(%e3 : tensor<1x6x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x6x5xf32>
  %t = tensor.dim %x, %c1 : tensor<1x?x6xf32>
  %e4 = tensor.empty(%t) : tensor<1x?x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x?x5xf32>) -> tensor<1x?x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<1x?x6xf32>, tensor<1x6x5xf32>) outs(%f : tensor<1x?x5xf32>) -> tensor<1x?x5xf32>
  return %y : tensor<1x?x5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      model.layers.0.mlp.up_proj.weight: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000"
    }
  }
#-}

// -----

// linalg.matvec: the weight is the first operand; the vector becomes one
// token row.
// CHECK-LABEL: func.func @matvec
// CHECK-SAME: (%[[X:.*]]: tensor<6xf32>)
// CHECK: %[[XE:.*]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [1, 6] : tensor<6xf32> into tensor<1x6xf32>
// CHECK: %[[Y:.*]] = linalg.matmul {{.*}} {lq.role = "head"} ins(%[[XE]], %{{.*}} : tensor<1x6xf32>, tensor<5x6xf32>)
// CHECK: %[[YC:.*]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1]] : tensor<1x5xf32> into tensor<5xf32>
// CHECK: return %[[YC]]
func.func @matvec(%x: tensor<6xf32>) -> tensor<5xf32> {
  %w = arith.constant dense_resource<head> : tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  %y = linalg.matvec ins(%w, %x : tensor<5x6xf32>, tensor<6xf32>) outs(%f : tensor<5xf32>) -> tensor<5xf32>
  return %y : tensor<5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      head: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000"
    }
  }
#-}

// -----

// A multiply-accumulate linalg.generic with a [K, N] weight: transposed
// into a new blob named after the frontend's.
// CHECK-LABEL: func.func @generic_contraction
// CHECK: %[[W:.*]] = arith.constant dense_resource<proj.out_in{{.*}}> : tensor<5x6xf32>
// CHECK: linalg.matmul {{.*}} {lq.role = "proj"} ins(%{{.*}}, %[[W]] : tensor<3x6xf32>, tensor<5x6xf32>)
func.func @generic_contraction(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense_resource<proj> : tensor<6x5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x6xf32>, tensor<6x5xf32>) outs(%f : tensor<3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      proj.out_in: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000",
      proj: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000"
    }
  }
#-}

// -----

// A weight that is a linalg.fill of a constant: evaluated into a blob; no
// name to take, so the role is numbered.
// CHECK-LABEL: func.func @fill_constant_weight
// CHECK-NOT: linalg.fill ins(%{{.*}}) outs(%{{.*}} : tensor<6x5xf32>)
// CHECK: %[[W:.*]] = arith.constant dense_resource<weight.out_in{{.*}}> : tensor<5x6xf32>
// CHECK: linalg.matmul {{.*}} {lq.role = "linear0"} ins(%{{.*}}, %[[W]] : tensor<3x6xf32>, tensor<5x6xf32>)
func.func @fill_constant_weight(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %c = arith.constant 0.25 : f32
  %zero = arith.constant 0.0 : f32
  %ew = tensor.empty() : tensor<6x5xf32>
  %w = linalg.fill ins(%c : f32) outs(%ew : tensor<6x5xf32>) -> tensor<6x5xf32>
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x6xf32>, tensor<6x5xf32>) outs(%f : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weight.out_in: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000"
    }
  }
#-}

// -----

// A bias the frontend accumulates into (a broadcast init): the product goes
// into a zero fill and the bias is added after it.
// CHECK-LABEL: func.func @bias_added
// CHECK: %[[B:.*]] = linalg.broadcast
// CHECK: %[[Y:.*]] = linalg.matmul {{.*}} {lq.role = "w"}
// CHECK: %[[S:.*]] = linalg.add ins(%[[B]], %[[Y]] : tensor<3x5xf32>, tensor<3x5xf32>)
// CHECK: return %[[S]]
func.func @bias_added(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense_resource<w> : tensor<6x5xf32>
  %b = arith.constant dense_resource<b> : tensor<5xf32>
  %e = tensor.empty() : tensor<3x5xf32>
  %bb = linalg.broadcast ins(%b : tensor<5xf32>) outs(%e : tensor<3x5xf32>) dimensions = [0]
  %y = linalg.matmul ins(%x, %w : tensor<3x6xf32>, tensor<6x5xf32>) outs(%bb : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000",
      b: "0x04000000000020BF0000803E000080BE0000203F0000003E"
    }
  }
#-}

// -----

// A convolution lowered to im2col + matmul: the filter reaches the matmul
// through a collapse_shape, and counts as a linear.
// CHECK-LABEL: func.func @im2col_filter
// CHECK: %[[W:.*]] = arith.constant dense_resource<conv1.weight.out_in{{.*}}> : tensor<4x6xf32>
// CHECK: linalg.matmul {{.*}} {lq.role = "conv1.weight"} ins(%{{.*}}, %[[W]] : tensor<9x6xf32>, tensor<4x6xf32>)
func.func @im2col_filter(%cols: tensor<9x6xf32>) -> tensor<9x4xf32> {
  %w = arith.constant dense_resource<conv1.weight> : tensor<4x1x2x3xf32>
  %wf = tensor.collapse_shape %w [[0], [1, 2, 3]] : tensor<4x1x2x3xf32> into tensor<4x6xf32>
  %e = tensor.empty() : tensor<6x4xf32>
  %wt = linalg.transpose ins(%wf : tensor<4x6xf32>) outs(%e : tensor<6x4xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<9x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e2 : tensor<9x4xf32>) -> tensor<9x4xf32>
  %y = linalg.matmul ins(%cols, %wt : tensor<9x6xf32>, tensor<6x4xf32>) outs(%f : tensor<9x4xf32>) -> tensor<9x4xf32>
  return %y : tensor<9x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      conv1.weight.out_in: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E",
      conv1.weight: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E"
    }
  }
#-}

// -----

// Already the linear of docs/ModelIR.md (quant-import's form): left as it
// is, its role kept.
// CHECK-LABEL: func.func @model_linear
// CHECK: linalg.matmul {{.*}} {lq.role = "layers.0.attn.q"} ins(%{{.*}}, %{{.*}} : tensor<3x6xf32>, tensor<5x6xf32>)
func.func @model_linear(%x: tensor<3x6xf32>) -> tensor<3x5xf32> {
  %w = arith.constant dense_resource<q> : tensor<5x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %w : tensor<3x6xf32>, tensor<5x6xf32>) outs(%f : tensor<3x5xf32>) {lq.role = "layers.0.attn.q"} -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000"
    }
  }
#-}

// -----

// Activation times activation (attention scores): no constant, nothing to
// do and nothing to say.
// CHECK-LABEL: func.func @activation_product
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x6xf32>, tensor<6x5xf32>)
// CHECK-NOT: lq.role
func.func @activation_product(%x: tensor<3x6xf32>, %k: tensor<6x5xf32>) -> tensor<3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = linalg.matmul ins(%x, %k : tensor<3x6xf32>, tensor<6x5xf32>) outs(%f : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// Forms left float, each with a remark naming the op.

// CHECK-LABEL: func.func @convolution
// CHECK: linalg.conv_2d_nchw_fchw
func.func @convolution(%x: tensor<1x1x6x6xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense_resource<conv> : tensor<2x1x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @below {{'linalg.conv_2d_nchw_fchw' stays float: convolutions are imported only in im2col + matmul form}}
  %y = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) outs(%f : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// CHECK-LABEL: func.func @quantized_matmul
// CHECK: linalg.quantized_matmul
func.func @quantized_matmul(%x: tensor<1x4xi8>) -> tensor<1x3xi32> {
  %w = arith.constant dense<1> : tensor<4x3xi8>
  %zp = arith.constant 0 : i32
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x3xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<1x3xi32>) -> tensor<1x3xi32>
  // expected-remark @below {{'linalg.quantized_matmul' stays as it is: not a floating-point multiply-accumulate of an activation and a constant weight}}
  %y = linalg.quantized_matmul ins(%x, %w, %zp, %zp : tensor<1x4xi8>, tensor<4x3xi8>, i32, i32) outs(%f : tensor<1x3xi32>) -> tensor<1x3xi32>
  return %y : tensor<1x3xi32>
}

// CHECK-LABEL: func.func @weight_per_batch
// CHECK: linalg.batch_matmul
func.func @weight_per_batch(%x: tensor<2x3x4xf32>) -> tensor<2x3x2xf32> {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 9.0]]]> : tensor<2x4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  // expected-remark @below {{'linalg.batch_matmul' stays float: the weight differs along a batch dimension (one weight per batch is not a linear layer)}}
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x3x4xf32>, tensor<2x4x2xf32>) outs(%f : tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}

// CHECK-LABEL: func.func @f16_weight
// CHECK: linalg.matmul ins
func.func @f16_weight(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf16>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  // expected-remark @below {{'linalg.matmul' stays float: the weight's elements are f16, not f32}}
  %y = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf16>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @computed_weight
// CHECK: linalg.matmul ins
func.func @computed_weight(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  %e0 = tensor.empty() : tensor<4x2xf32>
  %we = linalg.exp ins(%w : tensor<4x2xf32>) outs(%e0 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  // expected-remark @below {{'linalg.matmul' stays float: 'linalg.exp' computes the weight (only transposes, broadcasts, reshapes and fills are evaluated)}}
  %y = linalg.matmul ins(%x, %we : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @constant_product
// CHECK: linalg.matmul ins
func.func @constant_product() -> tensor<3x2xf32> {
  %a = arith.constant dense<1.0> : tensor<3x4xf32>
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  // expected-remark @below {{'linalg.matmul' stays float: both operands are constants}}
  %y = linalg.matmul ins(%a, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      conv: "0x04000000000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F00000000000000BF0000C03E000000BE000020BF0000803E000080BE0000203F0000003E0000C0BE0000003F"
    }
  }
#-}
