// RUN: quant-opt %s --lq-instrument-linears | FileCheck %s
// RUN: quant-opt %s --lq-instrument-linears="function=" | FileCheck %s --check-prefix=ALL
// RUN: not quant-opt %s --lq-instrument-linears="function=nothing" 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: quant-opt %s --lq-instrument-linears="roles=lm_head" | FileCheck %s --check-prefix=ROLES
// RUN: quant-opt %s --lq-instrument-linears="roles=layers.0.,nothing" | FileCheck %s --check-prefix=LAYER
// RUN: not quant-opt %s --lq-instrument-linears="roles=layers.1." 2>&1 | FileCheck %s --check-prefix=NOROLE

// Linears reading one value share a recording (q and k here); attn.k's
// output is recorded too; @other is left alone unless every function is
// instrumented.

// CHECK-DAG: func.func private @lq_record_input(i64, tensor<?x?xf32> {bufferization.access = "read"}) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @lq_record_output(i64, tensor<?x?xf32> {bufferization.access = "read"}) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @forward
// CHECK: %[[ID0:.*]] = arith.constant 0 : i64
// CHECK: %[[X:.*]] = tensor.cast %arg0 : tensor<4x8xf32> to tensor<?x?xf32>
// CHECK: call @lq_record_input(%[[ID0]], %[[X]])
// CHECK: %[[Q:.*]] = linalg.matmul {{.*}}lq.calib_input = 0 : i64, lq.role = "layers.0.attn.q"
// CHECK-NOT: call @lq_record_input
// CHECK: %[[K:.*]] = linalg.matmul {{.*}}lq.calib_input = 0 : i64, lq.calib_output = 0 : i64, lq.role = "layers.0.attn.k"
// CHECK: %[[KC:.*]] = tensor.cast %[[K]] : tensor<4x4xf32> to tensor<?x?xf32>
// CHECK: call @lq_record_output(%{{.*}}, %[[KC]])
// CHECK: call @lq_record_input
// CHECK: linalg.matmul {{.*}}lq.calib_input = 1 : i64, lq.role = "lm_head"
// CHECK-LABEL: func.func @other
// CHECK-NOT: call
// ALL-LABEL: func.func @other
// ALL: call @lq_record_input
// ALL: lq.calib_input = 2 : i64, lq.role = "lm_head"
// NONE: error: lq-instrument-linears: no linear layer carries an lq.role in @nothing

// `roles` (prefixes, as sequential calibration uses them) instruments only
// the linears whose role starts with one of them; ids still start at 0.
// ROLES-LABEL: func.func @forward
// ROLES-NOT: call
// ROLES: %[[ID:.*]] = arith.constant 0 : i64
// ROLES: call @lq_record_input(%[[ID]],
// ROLES-NOT: call
// ROLES: linalg.matmul {{.*}}lq.calib_input = 0 : i64, lq.role = "lm_head"
// ROLES-NOT: call
// ROLES-LABEL: func.func @other
// LAYER-LABEL: func.func @forward
// LAYER: call @lq_record_input
// LAYER: lq.calib_input = 0 : i64, lq.role = "layers.0.attn.q"
// LAYER: lq.calib_input = 0 : i64, lq.calib_output = 0 : i64, lq.role = "layers.0.attn.k"
// LAYER: call @lq_record_output
// LAYER-NOT: call
// LAYER: linalg.matmul {{.*}}{lq.role = "lm_head"}
// LAYER-LABEL: func.func @other
// NOROLE: error: lq-instrument-linears: no linear layer carries an lq.role starting with layers.1. in @forward

#mT = affine_map<(m, n, k) -> (m, k)>
#nT = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %wq = arith.constant dense<0.5> : tensor<4x8xf32>
  %wk = arith.constant dense<0.25> : tensor<4x8xf32>
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %q = linalg.matmul indexing_maps = [#mT, #nT, #mn] {lq.role = "layers.0.attn.q"}
      ins(%x, %wq : tensor<4x8xf32>, tensor<4x8xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %k = linalg.matmul indexing_maps = [#mT, #nT, #mn] {lq.role = "layers.0.attn.k"}
      ins(%x, %wk : tensor<4x8xf32>, tensor<4x8xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = arith.addf %q, %k : tensor<4x4xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul indexing_maps = [#mT, #nT, #mn] {lq.role = "lm_head"}
      ins(%s, %w : tensor<4x4xf32>, tensor<2x4xf32>) outs(%f2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

func.func @other(%x: tensor<4x4xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul indexing_maps = [#mT, #nT, #mn] {lq.role = "lm_head"}
      ins(%x, %w : tensor<4x4xf32>, tensor<2x4xf32>) outs(%f : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
