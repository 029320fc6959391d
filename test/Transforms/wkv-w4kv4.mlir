// The wkv-w4kv4 pipeline on the tiny model of lq-merge-fpt-preserve.mlir.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(wkv-w4kv4{group=0 pack-cache=false})" | FileCheck %s
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir %lower-to-llvm | %run-main > %t.ref
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(wkv-w4kv4{group=0 pack-cache=false})" | quant-opt --lq-expand %lower-to-llvm | %run-main > %t.q
// Within about twice the measured quantization error (0.089 on logits up
// to 1.6) of the float logits, and not equal to them.
// RUN: %python %S/../Inputs/compare-floats.py %t.q %t.ref --rtol 0 --atol 0.2 | FileCheck %s --check-prefix=NEAR
// RUN: not %python %S/../Inputs/compare-floats.py %t.q %t.ref --rtol 0 --atol 0.01 | FileCheck %s --check-prefix=FAR
// NEAR: MATCH 144 values
// FAR: MISMATCH at
// Per-function counts over the whole module: 14 4-bit linears with float
// activations and 4 quantized K/V per function, no transform left.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(wkv-w4kv4{group=0 pack-cache=false})" | %python %S/../Inputs/op-counts.py --ops lq.,linalg.matmul | FileCheck %s --check-prefix=COUNT
// COUNT:      @forward
// COUNT-NEXT:   linalg.matmul 1
// COUNT-NEXT:   lq.constant uniform bits(4) 14
// COUNT-NEXT:   lq.kv_dequantize bits(4) 4
// COUNT-NEXT:   lq.kv_quantize bits(4) 4
// COUNT-NEXT:   lq.matmul 14
// COUNT-NEXT: @decode
// COUNT-NEXT:   linalg.matmul 1
// COUNT-NEXT:   lq.constant uniform bits(4) 14
// COUNT-NEXT:   lq.kv_dequantize bits(4) 4
// COUNT-NEXT:   lq.kv_quantize bits(4) 4
// COUNT-NEXT:   lq.matmul 14
// COUNT-NEXT: @printMemrefF32

// 4-bit KV cache with channel scales, 4-bit weights, float activations.
// CHECK-LABEL: func.func @forward
// CHECK: lq.kv_quantize {{.*}} channel_scale({{.*}}) bits(4)
// CHECK-NOT: act(
// CHECK: lq.matmul %{{.*}}, %{{.*}} {{.*}}lq.role = "layers.0.attn.o"} : tensor<?x8xf32>, !lq.weight<8x8, #lq.uniform<bits = 4, group = 8>>
// CHECK-LABEL: func.func @decode
// CHECK: lq.kv_quantize {{.*}} bits(4) : tensor<1x4xf32>
