//===- Kernels.h - lq-lower-to-nvptx: the kernel families -------*- C++ -*-===//
//
// One entry point per kernel family (private to LQToNVPTX, like triton's
// PatternTritonGPUOpToLLVM.h): each builds its kernel(s) for one planned
// lq.matmul at the end of the gpu.module `kernels` and returns the kernel
// function. The driver (LowerToNVPTX.cpp) picks the family with std::visit
// over KernelPlan::family.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_KERNELS_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_KERNELS_H

#include "KernelPlan.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::lq::nvptx {

/// 4-bit uniform codes, f16 or f32 activations: the chunked mma GEMV with
/// the f16 magic-number dequantization (GemvW4.cpp).
gpu::GPUFuncOp buildW4GemvKernel(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                                 const W4GemvPlan &w4);

/// GPTQT binary codes, f16 activations: the chunked mma GEMV over sign
/// planes (GemvBinary.cpp).
gpu::GPUFuncOp buildBinaryGemvKernel(gpu::GPUModuleOp kernels, Location loc,
                                     const KernelPlan &plan, const BinaryGemvPlan &binary);

/// W4A8, the GEMM on int8 mma.sync; it reads the scratch buffer that the
/// buildActQuantKernel kernel, launched first, writes (W4Gemm.cpp).
gpu::GPUFuncOp buildW4A8GemmKernel(gpu::GPUModuleOp kernels, Location loc,
                                   const KernelPlan &plan, const W4A8Plan &w4a8);

/// W4A16 past the GEMV's batches: the W4A8 GEMM's tiling on f16 mma.sync,
/// reading f16 activations and the W4 layout (W4Gemm.cpp).
gpu::GPUFuncOp buildW4GemmKernel(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                                 const W4GemmPlan &w4);

/// W4A8, the per-token int8 quantization of the activations (W4A8.cpp).
gpu::GPUFuncOp buildActQuantKernel(gpu::GPUModuleOp kernels, Location loc,
                                   const KernelPlan &plan, const W4A8Plan &w4a8);

/// PVQ codes: a GEMV on the CUDA cores, decoding in registers (PVQ.cpp).
gpu::GPUFuncOp buildPVQGemvKernel(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                                  const PVQGemvPlan &pvq);

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_KERNELS_H
