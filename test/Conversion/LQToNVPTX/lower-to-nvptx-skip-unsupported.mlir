// skip-unsupported=true (what lq-lower-to-gpu uses): a matmul no kernel
// takes stays an lq.matmul, with a remark saying why, for lq-expand; one a
// kernel takes in the same function is still lowered.
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=64" -o %t.mlir
// RUN: quant-opt %t.mlir --lq-lower-to-nvptx="skip-unsupported=true" 2>&1 | FileCheck %s
// RUN: not quant-opt %t.mlir --lq-lower-to-nvptx 2>&1 | FileCheck %s --check-prefix=ERROR
// Static activation scales (W4A8 with one calibrated scale) have no GPU
// kernel: left for lq-expand, which computes them.
// RUN: sed 's/lq.matmul \(%[0-9a-z_]*\), \(%[0-9a-z_]*\) :/lq.matmul \1, \2 act(8) scale(5.000000e-01) :/' %t.mlir | quant-opt --lq-lower-to-nvptx="skip-unsupported=true" 2>&1 | FileCheck %s --check-prefix=STATIC
// STATIC-COUNT-2: remark: left for lq-expand: 'lq.matmul' op lq-lower-to-nvptx has no GPU kernel for static activation scales
// STATIC-NOT: gpu.launch_func

// CHECK: remark: left for lq-expand: 'lq.matmul' op cannot be tiled for the GPU: N = 24 is not a multiple of the 16-row mma tile
// CHECK-LABEL: func.func @mixed
// CHECK:         lq.matmul {{.*}} -> tensor<1x24xf32>
// CHECK:         gpu.launch_func
// CHECK-NOT:     lq.matmul
// ERROR: error: 'lq.matmul' op cannot be tiled for the GPU: N = 24
func.func @mixed(%x: tensor<1x64xf32>, %x2: tensor<1x128xf32>) -> (tensor<1x24xf32>, tensor<1x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<64x24xf32>
  %e = tensor.empty() : tensor<1x24xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x24xf32>) -> tensor<1x24xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x64xf32>, tensor<64x24xf32>) outs(%init : tensor<1x24xf32>) -> tensor<1x24xf32>
  %w2 = arith.constant dense<0.25> : tensor<128x16xf32>
  %e2 = tensor.empty() : tensor<1x16xf32>
  %init2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x16xf32>) -> tensor<1x16xf32>
  %y2 = linalg.matmul ins(%x2, %w2 : tensor<1x128xf32>, tensor<128x16xf32>) outs(%init2 : tensor<1x16xf32>) -> tensor<1x16xf32>
  return %y, %y2 : tensor<1x24xf32>, tensor<1x16xf32>
}
