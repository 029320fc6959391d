// RUN: quant-opt %s --lq-import-linalg --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx | FileCheck %s --check-prefix=GPU
// RUN: quant-opt %s --lq-import-linalg --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-cpu | FileCheck %s --check-prefix=CPU

// The imported and quantized torch-mlir aten.linear goes down both
// lowerings like quant-import's linears: a W4 GEMV kernel and its launch on
// the GPU, the packed 4-bit kernel on the CPU (shapes the GPU kernels take:
// N a multiple of 16, K of the group).
// GPU: func.func @torch_linear
// GPU: gpu.launch_func {{.*}} @lq_gpu_kernels::@lq_w4_gemv_0
// GPU: gpu.module @lq_gpu_kernels
// GPU: gpu.func @lq_w4_gemv_0
// CPU: llvm.func @torch_linear
func.func @torch_linear(%x: tensor<1x4x128xf32>) -> tensor<1x4x32xf32> {
  %v = arith.constant dense<[-1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125, 0.250, 0.625, 1.000, -0.750, -0.375, 0.000, 0.375, 0.750, -1.000, -0.625, -0.250, 0.125, 0.500, 0.875, -0.875, -0.500, -0.125]> : tensor<128xf32>
  %e0 = tensor.empty() : tensor<32x128xf32>
  // A [32, 128] weight of equal rows, built by a broadcast.
  %wb = linalg.broadcast ins(%v : tensor<128xf32>) outs(%e0 : tensor<32x128xf32>) dimensions = [0]
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x32xf32>
  %wt = linalg.transpose ins(%wb : tensor<32x128xf32>) outs(%e : tensor<128x32xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<1x128x32xf32>
  %w3 = linalg.broadcast ins(%wt : tensor<128x32xf32>) outs(%e3 : tensor<1x128x32xf32>) dimensions = [0]
  %e4 = tensor.empty() : tensor<1x4x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %y = linalg.batch_matmul ins(%x, %w3 : tensor<1x4x128xf32>, tensor<1x128x32xf32>) outs(%f : tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  return %y : tensor<1x4x32xf32>
}
