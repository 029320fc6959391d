// The W4A16 GEMM: 4-bit codes with f16 activations from gemm-min-batch rows
// up (default: those past the GEMV's 64) take the register-tiled GEMM, on
// f16 mma.sync, reading the GEMV's packed weight; any static batch is one
// launch (batch blocks), and a dynamic row count gets GEMM instances for
// chunks of 256 and 128 rows and GEMV instances from 64 down.
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="device-resident=true" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128 symmetric=false" --lq-lower-to-nvptx="device-resident=true" --convert-gpu-to-nvvm --gpu-module-to-binary="format=isa" 2>/dev/null | FileCheck %s --check-prefix=PTX
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="device-resident=true row-warps=1 row-tiles=4 warps=2" 2>/dev/null | FileCheck %s --check-prefix=OPTS
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="device-resident=true gemm-min-batch=17" 2>/dev/null | FileCheck %s --check-prefix=MIN17
// RUN: not quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="gemm-min-batch=-1" 2>&1 | FileCheck %s --check-prefix=GEMV-ONLY
// RUN: not quant-opt %s --lq-lower-to-nvptx="gemm-min-batch=66" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="device-resident=true f16-weights-min-batch=200" 2>/dev/null | FileCheck %s --check-prefix=F16W

// 100 rows: one launch. 13 batch tiles of 8 in blocks of 4 tiles (2 row
// tiles per warp): 4 batch blocks of one row block (8 row tiles, 4 row
// warps).
// CHECK-LABEL: func.func @static_batch(
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemm_0 blocks in (%c4
// CHECK-NOT:     gpu.launch_func
// CHECK-LABEL: func.func @dynamic(
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemm_1_m256
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemm_1_m128
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_1_m64
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_1_m32
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_1_m1
// CHECK:         gpu.func @lq_w4_gemm_0({{.*}}lq.gpu_abi = {batch = 100 : i64, f32_input = false, grid = 4 : i64, threads = 256 : i64
// CHECK-COUNT-16: nvvm.mma.sync {{.*}} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// 4 row tiles per warp and one row warp: 2 row blocks; 2 batch tiles per
// block: 7 batch blocks; 2 warps on K.
// OPTS: gpu.func @lq_w4_gemm_0({{.*}}lq.gpu_abi = {batch = 100 : i64, f32_input = false, grid = 14 : i64, threads = 64 : i64
// MIN17: gpu.launch_func @lq_gpu_kernels::@lq_w4_gemm_1_m32
// MIN17: gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_1_m16
// GEMV-ONLY: error: 'lq.matmul' op has more rows than one launch (at most 64 rows): launching it over row chunks needs device-resident=true
// RANGE: error: lq-lower-to-nvptx: {{.*}}gemm-min-batch in -1..8 * max-batch-tiles + 1
// From f16-weights-min-batch rows up (the 256-row chunk) the group scale
// multiplies the f16 weights (broadcast per row) before the mma, and no f32
// partial sum is scaled after it; 100 and 128 rows stay exact.
// F16W-LABEL: gpu.func @lq_w4_gemm_0(
// F16W-NOT: arith.mulf %{{.*}}, %{{.*}} : vector<2xf16>
// F16W: llvm.intr.fma({{.*}}) : (f32, f32, f32) -> f32
// F16W-LABEL: gpu.func @lq_w4_gemm_1_m256(
// F16W: vector.shuffle
// F16W: arith.mulf %{{.*}}, %{{.*}} : vector<2xf16>
// F16W-NEXT: arith.mulf %{{.*}}, %{{.*}} : vector<2xf16>
// F16W: nvvm.mma.sync
// F16W-NOT: llvm.intr.fma({{.*}}) : (f32, f32, f32) -> f32
// F16W-LABEL: gpu.func @lq_w4_gemm_1_m128(
// F16W: llvm.intr.fma({{.*}}) : (f32, f32, f32) -> f32
func.func @static_batch(%x16: tensor<100x256xf16>) -> tensor<100x128xf32> {
  %x = arith.extf %x16 : tensor<100x256xf16> to tensor<100x256xf32>
  %w = arith.constant dense<0.5> : tensor<256x128xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<100x128xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<100x128xf32>) -> tensor<100x128xf32>
  %y = linalg.matmul ins(%x, %w : tensor<100x256xf32>, tensor<256x128xf32>) outs(%init : tensor<100x128xf32>) {lq.role = "layers.0.mlp.up"} -> tensor<100x128xf32>
  return %y : tensor<100x128xf32>
}


// Dynamic rows: GEMM instances for 256 and 128 rows, the GEMV below;
// asymmetric codes subtract each row's zero point in f16.
// PTX: .entry lq_w4_gemm_1_m256(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: .entry lq_w4_gemm_1_m128(
// PTX: .entry lq_w4_gemv_1_m64(
// PTX: .entry lq_w4_gemv_1_m1(
func.func @dynamic(%x16: tensor<?x256xf16>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %x = arith.extf %x16 : tensor<?x256xf16> to tensor<?x256xf32>
  %n = tensor.dim %x, %c0 : tensor<?x256xf32>
  %w = arith.constant dense<0.25> : tensor<256x128xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty(%n) : tensor<?x128xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x128xf32>) -> tensor<?x128xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x256xf32>, tensor<256x128xf32>) outs(%init : tensor<?x128xf32>) {lq.role = "layers.0.mlp.down"} -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}
