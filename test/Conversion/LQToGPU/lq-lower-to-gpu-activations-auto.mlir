// lq-lower-to-gpu's default activations (auto) round the inputs of the
// matmuls of K >= 2048 to f16 (large models, where the f16 GEMV is faster)
// and leave smaller ones in f32: the second lq-round-matmul-inputs of the
// pipeline (the first one takes the binary-code matmuls) rounds x only.
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-gpu \
// RUN:   --mlir-print-ir-after=lq-round-matmul-inputs -o /dev/null 2>&1 | FileCheck %s
// The same stage alone (what a CPU reference of the GPU's arithmetic runs)
// rounds the same input; f32 rounds none, and other values are refused.
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" \
// RUN:   --lq-gpu-round-activations="functions=decode activations=auto" | FileCheck %s --check-prefix=ALONE
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" \
// RUN:   --lq-gpu-round-activations=activations=f32 | FileCheck %s --check-prefix=F32
// RUN: not quant-opt %s --lq-gpu-round-activations=activations=bf16 2>&1 | FileCheck %s --check-prefix=BAD
// ALONE:      func.func @decode(
// ALONE-SAME:    %[[X:.*]]: tensor<1x2048xf32>, %[[Z:.*]]: tensor<1x1024xf32>
// ALONE:         %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x2048xf32>) outs(%{{.*}} : tensor<1x2048xf16>)
// ALONE:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<1x2048xf16>) outs(%{{.*}} : tensor<1x2048xf32>)
// ALONE:         lq.matmul %[[W]], %{{.*}} : tensor<1x2048xf32>
// ALONE:         lq.matmul %[[Z]], %{{.*}} : tensor<1x1024xf32>
// F32-NOT:     linalg.generic
// F32:         lq.matmul %arg0
// F32:         lq.matmul %arg1
// BAD: lq-gpu-round-activations: activations must be auto, f16 or f32, got 'bf16'

// CHECK:      IR Dump After LQRoundMatmulInputs
// CHECK:      IR Dump After LQRoundMatmulInputs
// CHECK:      func.func @decode(
// CHECK-SAME:    %[[X:.*]]: tensor<1x2048xf32>, %[[Z:.*]]: tensor<1x1024xf32>
// CHECK:         %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x2048xf32>) outs(%{{.*}} : tensor<1x2048xf16>)
// CHECK:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<1x2048xf16>) outs(%{{.*}} : tensor<1x2048xf32>)
// CHECK:         lq.matmul %[[W]], %{{.*}} : tensor<1x2048xf32>
// CHECK:         lq.matmul %[[Z]], %{{.*}} : tensor<1x1024xf32>
func.func @decode(%x: tensor<1x2048xf32>, %z: tensor<1x1024xf32>) -> (tensor<1x16xf32>, tensor<1x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<2048x16xf32>
  %v = arith.constant dense<0.25> : tensor<1024x16xf32>
  %empty = tensor.empty() : tensor<1x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x16xf32>) -> tensor<1x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2048xf32>, tensor<2048x16xf32>) outs(%init : tensor<1x16xf32>) -> tensor<1x16xf32>
  %u = linalg.matmul ins(%z, %v : tensor<1x1024xf32>, tensor<1024x16xf32>) outs(%init : tensor<1x16xf32>) -> tensor<1x16xf32>
  return %y, %u : tensor<1x16xf32>, tensor<1x16xf32>
}
