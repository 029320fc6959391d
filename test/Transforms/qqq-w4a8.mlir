// The qqq-w4a8 pipeline on the tiny model of lq-merge-fpt-preserve.mlir
// (per-channel weights: its widths, 8 and 12, are below QQQ's group of 128).
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(qqq-w4a8)" | FileCheck %s
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(qqq-w4a8{smooth=false})" | FileCheck %s --check-prefix=NOSMOOTH
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir %lower-to-llvm | %run-main > %t.ref
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(qqq-w4a8)" | quant-opt --lq-expand %lower-to-llvm | %run-main > %t.q
// Within about twice the measured quantization error (0.077 on logits up
// to 1.6) of the float logits, and not equal to them.
// RUN: %python %S/../Inputs/compare-floats.py %t.q %t.ref --rtol 0 --atol 0.18 | FileCheck %s --check-prefix=NEAR
// RUN: not %python %S/../Inputs/compare-floats.py %t.q %t.ref --rtol 0 --atol 0.01 | FileCheck %s --check-prefix=FAR
// NEAR: MATCH 144 values
// FAR: MISMATCH at
// Static ranges (absmax: this module's statistics predate the histograms
// that range=mse needs, a located error): a scale on every decoder linear,
// the logits as near as per-token A8's.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(qqq-w4a8{static=true range=absmax})" -o %t.static.mlir
// RUN: FileCheck %s --check-prefix=STATIC < %t.static.mlir
// RUN: quant-opt %t.static.mlir --lq-expand %lower-to-llvm | %run-main > %t.s
// RUN: %python %S/../Inputs/compare-floats.py %t.s %t.ref --rtol 0 --atol 0.18 | FileCheck %s --check-prefix=NEAR
// RUN: not %python %S/../Inputs/compare-floats.py %t.s %t.q --rtol 0 --atol 1e-5 | FileCheck %s --check-prefix=FAR
// RUN: not quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(qqq-w4a8{static=true})" 2>&1 | FileCheck %s --check-prefix=NOHIST
// STATIC-LABEL: func.func @forward
// STATIC-COUNT-14: lq.matmul {{.*}} act(8) scale(
// STATIC-LABEL: func.func @decode
// NOHIST: error: lq-quantize-activations needs the calibration statistic 'lq.act_hist' on linear 'layers.0.attn.q'
// Per-function counts over the whole module: all 14 decoder linears of each
// function 4-bit with 8-bit activations, lm_head float, no transform left.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --pass-pipeline="builtin.module(qqq-w4a8)" | %python %S/../Inputs/op-counts.py --ops lq.,linalg.matmul | FileCheck %s --check-prefix=COUNT
// COUNT:      @forward
// COUNT-NEXT:   linalg.matmul 1
// COUNT-NEXT:   lq.constant uniform bits(4) 14
// COUNT-NEXT:   lq.matmul act(8) 14
// COUNT-NEXT: @decode
// COUNT-NEXT:   linalg.matmul 1
// COUNT-NEXT:   lq.constant uniform bits(4) 14
// COUNT-NEXT:   lq.matmul act(8) 14
// COUNT-NEXT: @printMemrefF32

// Smoothing merged (the norm weights changed, no transform left), every
// decoder linear 4-bit symmetric per channel with 8-bit activations,
// lm_head float.
// CHECK-LABEL: func.func @forward
// CHECK-NOT: lq.fpt
// CHECK: arith.constant dense_resource<model.layers.0.input_layernorm.weight.fpt>
// CHECK: lq.matmul %{{.*}}, %{{.*}} act(8) {lq.role = "layers.0.attn.q"} : tensor<?x8xf32>, !lq.weight<8x8, #lq.uniform<bits = 4, group = 8>>
// CHECK: lq.matmul {{.*}} act(8) {lq.role = "layers.0.mlp.down"} : tensor<?x12xf32>, !lq.weight<8x12, #lq.uniform<bits = 4, group = 12>>
// CHECK: linalg.matmul {{.*}}{lq.role = "lm_head"}
// CHECK-LABEL: func.func @decode
// CHECK: lq.matmul {{.*}} act(8) {lq.role = "layers.0.attn.q"}
// NOSMOOTH-LABEL: func.func @forward
// NOSMOOTH-NOT: .fpt>
// NOSMOOTH: lq.matmul {{.*}} act(8) {lq.role = "layers.0.attn.q"}
