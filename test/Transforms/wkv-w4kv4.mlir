// The wkv-w4kv4 pipeline on the tiny model of lq-merge-fpt-preserve.mlir.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(wkv-w4kv4{group=0 pack-cache=false})" | FileCheck %s
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir %lower-to-llvm | %run-main > %t.ref
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(wkv-w4kv4{group=0 pack-cache=false})" | quant-opt --lq-expand %lower-to-llvm | %run-main > %t.q
// RUN: %python %S/../Inputs/compare-floats.py %t.q %t.ref --rtol 0.5 --atol 0.5 | FileCheck %s --check-prefix=NEAR
// NEAR: MATCH 144 values

// 4-bit KV cache with channel scales, 4-bit weights, float activations.
// CHECK-LABEL: func.func @forward
// CHECK: lq.kv_quantize {{.*}} channel_scale({{.*}}) bits(4)
// CHECK-NOT: act(
// CHECK: lq.matmul %{{.*}}, %{{.*}} {lq.role = "layers.0.attn.o"} : tensor<?x8xf32>, !lq.weight<8x8, #lq.uniform<bits = 4, group = 8>>
// CHECK-LABEL: func.func @decode
// CHECK: lq.kv_quantize {{.*}} bits(4) : tensor<1x4xf32>
