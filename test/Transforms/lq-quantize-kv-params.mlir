// Per-layer KV parameters (what quant-run calibrate --kv-reconstruct
// records on the k/v projections), on the tiny 2-layer Llama of
// lq-merge-fpt-preserve.mlir: lq.kv_clip becomes the clip of that layer's
// lq.kv_quantize ops, in @forward and @decode alike, read from whichever
// linear of the role carries it; lq.kv_smooth is the exponent of the 2-D
// channel scales. Without them, today's quantization (no clip, scales =
// the calibrated ranges).

// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --lq-quantize-kv=pack-cache=false | FileCheck %s --check-prefix=DEFAULT
// DEFAULT-LABEL: func.func @forward
// DEFAULT-NOT: clip
// DEFAULT-NOT: dense<1.000000e+00> : tensor<4xf32>
// DEFAULT-LABEL: func.func @decode
// DEFAULT-NOT: clip
// DEFAULT-NOT: dense<1.000000e+00> : tensor<4xf32>

// Only @forward's layer-0 key projection carries lq.kv_clip (the first
// match); layer 1's values carry another clip in both functions.
// RUN: sed -e '0,/lq.role = "layers.0.attn.k"/s//lq.role = "layers.0.attn.k", lq.kv_clip = 7.500000e-01 : f32/' \
// RUN:     -e 's/lq.role = "layers.1.attn.v"/lq.role = "layers.1.attn.v", lq.kv_clip = 5.000000e-01 : f32/' \
// RUN:     %S/lq-merge-fpt-preserve.mlir | quant-opt --lq-quantize-kv=pack-cache=false | FileCheck %s --check-prefix=CLIP
// CLIP-LABEL: func.func @forward
// CLIP: lq.kv_quantize {{.*}} bits(4) {clip = 7.500000e-01 : f32} : tensor<?x4xf32>
// CLIP: lq.kv_quantize {{.*}} bits(4) : tensor<?x4xf32>
// CLIP: lq.kv_quantize {{.*}} bits(4) : tensor<?x4xf32>
// CLIP: lq.kv_quantize {{.*}} bits(4) {clip = 5.000000e-01 : f32} : tensor<?x4xf32>
// CLIP-LABEL: func.func @decode
// CLIP: lq.kv_quantize {{.*}} bits(4) {clip = 7.500000e-01 : f32} : tensor<1x4xf32>
// CLIP: lq.kv_quantize {{.*}} bits(4) : tensor<1x4xf32>
// CLIP: lq.kv_quantize {{.*}} bits(4) : tensor<1x4xf32>
// CLIP: lq.kv_quantize {{.*}} bits(4) {clip = 5.000000e-01 : f32} : tensor<1x4xf32>

// (The packed @decode's cache writes: test/Run/kv-reconstruct.test.)

// lq.kv_smooth = 0 on layer 0's values: no smoothing there (unit channel
// scales); the keys keep their ranges.
// RUN: sed -e 's/lq.role = "layers.0.attn.v"/lq.role = "layers.0.attn.v", lq.kv_smooth = 0.000000e+00 : f32/' \
// RUN:     %S/lq-merge-fpt-preserve.mlir | quant-opt --lq-quantize-kv=pack-cache=false | FileCheck %s --check-prefix=SMOOTH
// SMOOTH-LABEL: func.func @forward
// SMOOTH: %[[KC:.*]] = arith.constant dense<[{{.*}}]> : tensor<4xf32>
// SMOOTH: lq.kv_quantize {{.*}} channel_scale(%[[KC]] : tensor<4xf32>)
// SMOOTH: %[[VC:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// SMOOTH: lq.kv_quantize {{.*}} channel_scale(%[[VC]] : tensor<4xf32>)

// With smooth=false there are no channel scales, whatever lq.kv_smooth says.
// RUN: sed -e 's/lq.role = "layers.0.attn.v"/lq.role = "layers.0.attn.v", lq.kv_smooth = 5.000000e-01 : f32/' \
// RUN:     %S/lq-merge-fpt-preserve.mlir | quant-opt --lq-quantize-kv="smooth=false pack-cache=false" | FileCheck %s --check-prefix=NOSMOOTH
// NOSMOOTH-LABEL: func.func @forward
// NOSMOOTH-NOT: channel_scale
// NOSMOOTH-LABEL: func.func @decode
// NOSMOOTH-NOT: channel_scale

// A clip below 1 changes the computed logits; clip = 1 does not.
// RUN: quant-opt %S/lq-merge-fpt-preserve.mlir --lq-quantize-kv=pack-cache=false --lq-expand %lower-to-llvm | %run-main > %t.default
// RUN: sed -e 's/lq.role = "layers.0.attn.k"/lq.role = "layers.0.attn.k", lq.kv_clip = 1.000000e+00 : f32/' %S/lq-merge-fpt-preserve.mlir \
// RUN:   | quant-opt --lq-quantize-kv=pack-cache=false --lq-expand %lower-to-llvm | %run-main > %t.one
// RUN: sed -e 's/lq.role = "layers.0.attn.k"/lq.role = "layers.0.attn.k", lq.kv_clip = 5.000000e-01 : f32/' %S/lq-merge-fpt-preserve.mlir \
// RUN:   | quant-opt --lq-quantize-kv=pack-cache=false --lq-expand %lower-to-llvm | %run-main > %t.half
// RUN: grep -v base@ %t.default > %t.default.data && grep -v base@ %t.one > %t.one.data && grep -v base@ %t.half > %t.half.data
// RUN: diff %t.default.data %t.one.data
// RUN: not diff %t.default.data %t.half.data
