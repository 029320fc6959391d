// The fpt-w4a4kv4 pipeline on the tiny model of lq-merge-fpt-preserve.mlir.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(fpt-w4a4kv4{group=0 pack-cache=false})" | FileCheck %s
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(fpt-w4a4kv4{group=0 pack-cache=false transforms=false})" | FileCheck %s --check-prefix=PLAIN
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(fpt-w4a4kv4{group=0 pack-cache=false residual=true})" | FileCheck %s --check-prefix=ROT
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(fpt-w4a4kv4{group=0 pack-cache=false})" | quant-opt --lq-expand %lower-to-llvm | %run-main > %t.q
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir %lower-to-llvm | %run-main > %t.ref
// RUN: %python %S/../Inputs/compare-floats.py %t.q %t.ref --rtol 2 --atol 2 | FileCheck %s --check-prefix=RAN
// RAN: MATCH 144 values

// Transforms merged into the weights (q/k/v/o/up/down blobs renamed), then
// 4-bit KV cache, weights and activations.
// CHECK-LABEL: func.func @forward
// CHECK-NOT: lq.fpt
// CHECK: lq.kv_quantize {{.*}} bits(4)
// CHECK: lq.matmul {{.*}} act(4) {lq.role = "layers.0.attn.o"}
// CHECK-LABEL: func.func @decode
// CHECK: lq.matmul {{.*}} act(4) {lq.role = "layers.1.mlp.down"}
// With the residual rotation the embedding table and norms are merged too.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(fpt-w4a4kv4{group=0 pack-cache=false down-rotation=true})" | FileCheck %s --check-prefix=DOWN
// DOWN-LABEL: func.func @forward
// DOWN: %[[H:.*]] = lq.fpt.rotate %{{.*}} {block = 4 : i64, online} : tensor<?x12xf32>
// DOWN: lq.matmul %[[H]], %{{.*}} act(4) {lq.role = "layers.0.mlp.down"}
// ROT: dense_resource<model.embed_tokens.weight.fpt>
// ROT-NOT: lq.fpt
// ROT: act(4)
// PLAIN-LABEL: func.func @forward
// PLAIN: lq.matmul {{.*}} act(4) {lq.role = "layers.0.attn.q"}
