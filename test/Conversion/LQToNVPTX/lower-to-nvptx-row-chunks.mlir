// A dynamic row count M (a prompt's T tokens) in device-resident mode:
// one kernel instance per chunk size S (the family's largest batch and the
// powers of two below it), and on the host, for the one S with
// S <= M < 2S (S <= M for the largest), a loop of ceil(M / S) launches at
// row offsets min(i * S, M - S): the last chunk ends at row M, overlapping
// the one before instead of reading or writing past it. A static M above
// the largest batch takes the same loop with the largest size only.
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="device-resident=true" | FileCheck %s
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-quantize-activations="bits=8" --lq-lower-to-nvptx="device-resident=true" | FileCheck %s --check-prefix=W4A8
// RUN: quant-opt %s --lq-quantize-weights="method=rtn bits=4 group=128" --lq-lower-to-nvptx="device-resident=true" --convert-gpu-to-nvvm --gpu-module-to-binary="format=isa" | FileCheck %s --check-prefix=PTX

// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME:    %[[X:.*]]: tensor<?x128xf32>
// CHECK:         %[[XB:.*]] = bufferization.to_buffer %[[X]] {{.*}}: tensor<?x128xf32> to memref<?x128xf32>
// CHECK:         %[[T:.*]] = memref.dim %[[XB]], %c0
// CHECK:         %[[Y:.*]] = memref.alloc(%[[T]]) : memref<?x16xf32>
// CHECK:         %[[M:.*]] = memref.dim %[[XB]], %c0
// CHECK:         %[[XA:.*]] = memref.extract_aligned_pointer_as_index %[[XB]]
// CHECK:         %[[YA:.*]] = memref.extract_aligned_pointer_as_index %[[Y]]
// The largest chunk, 64 rows: every M >= 64.
// CHECK:         %[[GE64:.*]] = arith.cmpi uge, %[[M]], %c64
// CHECK:         scf.if %[[GE64]] {
// CHECK:           %[[N:.*]] = arith.ceildivui %[[M]], %c64
// CHECK:           %[[LAST:.*]] = arith.subi %[[M]], %c64
// CHECK:           scf.for %[[I:.*]] = %c0{{.*}} to %[[N]] step %c1
// CHECK:             %[[R:.*]] = arith.muli %[[I]], %c64
// CHECK:             %[[ROW:.*]] = arith.minui %[[R]], %[[LAST]]
// CHECK:             %[[XOFF:.*]] = arith.muli %[[ROW]], %c512
// CHECK:             arith.addi %[[XA]], %[[XOFF]]
// CHECK:             %[[YOFF:.*]] = arith.muli %[[ROW]], %c64
// CHECK:             arith.addi %[[YA]], %[[YOFF]]
// CHECK:             gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m64 blocks in (%c1{{.*}}, %c1{{.*}}, %c1{{.*}})
// CHECK:           }
// CHECK:         }
// The smaller sizes: 32 <= M < 64, ..., M = 1.
// CHECK:         arith.cmpi uge, %[[M]], %c32
// CHECK:         arith.cmpi ult, %[[M]], %c64
// CHECK:         scf.if
// CHECK:           scf.for
// CHECK:             gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m32
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m16
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m8
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m4
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m2
// CHECK:         arith.cmpi uge, %[[M]], %c1
// CHECK:         arith.cmpi ult, %[[M]], %c2
// CHECK:         gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_0_m1
// CHECK:         bufferization.to_tensor %[[Y]]
func.func @dynamic(%x: tensor<?x128xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<0.5> : tensor<128x16xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x128xf32>
  %empty = tensor.empty(%n) : tensor<?x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x16xf32>) -> tensor<?x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x128xf32>, tensor<128x16xf32>) outs(%init : tensor<?x16xf32>) {lq.role = "layers.0.attn.q"} -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// A static 72 rows: two chunks of 64, at rows 0 and 8.
// CHECK-LABEL: func.func @static_above_batch(
// CHECK:         memref.alloc() : memref<72x16xf32>
// CHECK:         scf.if
// CHECK:           scf.for
// CHECK:             arith.minui
// CHECK:             gpu.launch_func @lq_gpu_kernels::@lq_w4_gemv_1 blocks
// CHECK-NOT:     gpu.launch_func
// CHECK:         return
func.func @static_above_batch(%x: tensor<72x128xf32>) -> tensor<72x16xf32> {
  %w = arith.constant dense<0.25> : tensor<128x16xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<72x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<72x16xf32>) -> tensor<72x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<72x128xf32>, tensor<128x16xf32>) outs(%init : tensor<72x16xf32>) {lq.role = "layers.0.attn.k"} -> tensor<72x16xf32>
  return %y : tensor<72x16xf32>
}

// CHECK:       gpu.module @lq_gpu_kernels
// CHECK-DAG:     gpu.func @lq_w4_gemv_0_m64({{.*}}lq.gpu_abi = {batch = 64
// CHECK-DAG:     gpu.func @lq_w4_gemv_0_m1({{.*}}lq.gpu_abi = {batch = 1
// CHECK-DAG:     gpu.func @lq_w4_gemv_1({{.*}}lq.gpu_abi = {batch = 64

// With W4A8, chunks of up to 256 rows; each launch quantizes its chunk into one
// scratch buffer sized for the largest chunk, which the GEMM then reads. A
// static batch is one launch, whatever its size.
// W4A8-LABEL: func.func @dynamic(
// W4A8:         %[[S:.*]] = memref.alloc() : memref<{{[0-9]+}}xi8>
// W4A8:         memref.extract_aligned_pointer_as_index %[[S]]
// W4A8:         %[[SP:.*]] = llvm.inttoptr
// W4A8:         arith.cmpi uge, %{{.*}}, %c256
// W4A8:         scf.for
// W4A8:           %[[XP:.*]] = llvm.inttoptr
// W4A8:           %[[YP:.*]] = llvm.inttoptr
// W4A8:           gpu.launch_func @lq_gpu_kernels::@lq_act_quant_0_m256 blocks in (%c256{{.*}}, %c1{{.*}}, %c1{{.*}}) {{.*}} args(%[[XP]] : !llvm.ptr, %[[SP]] : !llvm.ptr)
// W4A8:           gpu.launch_func @lq_gpu_kernels::@lq_w4a8_gemm_0_m256 {{.*}} args(%[[SP]] : !llvm.ptr, %{{.*}} : !llvm.ptr, %[[YP]] : !llvm.ptr)
// W4A8:         gpu.launch_func @lq_gpu_kernels::@lq_w4a8_gemm_0_m128
// W4A8:         gpu.launch_func @lq_gpu_kernels::@lq_act_quant_0_m1
// W4A8:         gpu.launch_func @lq_gpu_kernels::@lq_w4a8_gemm_0_m1
// W4A8-LABEL: func.func @static_above_batch(
// W4A8-NOT:     scf.for
// W4A8:         gpu.launch_func @lq_gpu_kernels::@lq_act_quant_1 blocks in (%c72
// W4A8:         gpu.launch_func @lq_gpu_kernels::@lq_w4a8_gemm_1 blocks

// PTX: gpu.binary @lq_gpu_kernels
// PTX-SAME: .entry lq_w4_gemv_0_m64(
