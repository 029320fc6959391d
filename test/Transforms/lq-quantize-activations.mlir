// RUN: quant-opt %s -split-input-file --lq-quantize-activations | FileCheck %s
// RUN: quant-opt %s -split-input-file --lq-quantize-activations="bits=4 lm-head=true" | FileCheck %s --check-prefix=A4
// RUN: quant-opt %s -split-input-file --lq-quantize-activations="exclude=mlp.up,attn.q" | FileCheck %s --check-prefix=EXCL

// On the tiny model of lq-merge-fpt-preserve.mlir: 8-bit activations move
// the logits a little, 4-bit ones more; neither leaves them unchanged.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir %lower-to-llvm | %run-main > %t.ref
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --lq-quantize-activations --lq-expand %lower-to-llvm | %run-main > %t.a8
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --lq-quantize-activations=bits=4 --lq-expand %lower-to-llvm | %run-main > %t.a4
// RUN: %python %S/../Inputs/compare-floats.py %t.a8 %t.ref --rtol 0.05 --atol 0.05 | FileCheck %s --check-prefix=NEAR
// RUN: not %python %S/../Inputs/compare-floats.py %t.a8 %t.ref --rtol 1e-4 --atol 1e-5
// RUN: not %python %S/../Inputs/compare-floats.py %t.a4 %t.ref --rtol 0.05 --atol 0.05
// NEAR: MATCH 144 values

// A float linear gets the explicit per-token quantize / dequantize pair on
// its input; an lq.matmul gets act(N); lm_head stays float unless asked;
// untagged matmuls (attention products) are left alone.
// CHECK-LABEL: func.func @linears
// CHECK: %[[C:.*]], %[[S:.*]] = lq.quantize %arg0 bits(8) : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x1xf32>
// CHECK: %[[X:.*]] = lq.dequantize %[[C]], %[[S]] : tensor<?x4xi8>, tensor<?x1xf32> -> tensor<?x4xf32>
// CHECK: linalg.matmul {{.*}}{lq.role = "layers.0.attn.q"} ins(%[[X]],
// CHECK: lq.matmul %arg0, %{{.*}} act(8) {lq.role = "layers.0.mlp.up"}
// CHECK: linalg.matmul {{.*}}{lq.role = "lm_head"} ins(%arg0,
// CHECK: linalg.matmul ins(%arg0, %arg1
// A4-LABEL: func.func @linears
// A4: lq.quantize %arg0 bits(4)
// A4: lq.matmul %arg0, %{{.*}} act(4)
// A4: %[[C:.*]], %[[S:.*]] = lq.quantize %arg0 bits(4)
// A4: %[[X:.*]] = lq.dequantize %[[C]], %[[S]]
// A4: linalg.matmul {{.*}}{lq.role = "lm_head"} ins(%[[X]],
// A4: linalg.matmul ins(%arg0, %arg1
// Excluded roles (by suffix) keep float inputs.
// EXCL-LABEL: func.func @linears
// EXCL-NOT: lq.quantize
// EXCL-NOT: act(
// EXCL: return
func.func @linears(%x: tensor<?x4xf32>, %a: tensor<4x4xf32>, %i: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x4xf32>
  %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%i : tensor<?x4xf32>) {lq.role = "layers.0.attn.q"} -> tensor<?x4xf32>
  %qw = lq.constant codes(dense<0> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>>
  %u = lq.matmul %x, %qw {lq.role = "layers.0.mlp.up"} : tensor<?x4xf32>, !lq.weight<4x4, #lq.uniform<bits = 4, group = 4, symmetric = true>> -> tensor<?x4xf32>
  %l = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%i : tensor<?x4xf32>) {lq.role = "lm_head"} -> tensor<?x4xf32>
  %s = linalg.matmul ins(%x, %a : tensor<?x4xf32>, tensor<4x4xf32>) outs(%i : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %q, %u, %l, %s : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
