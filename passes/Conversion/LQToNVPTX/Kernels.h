//===- Kernels.h - lq-lower-to-nvptx kernel families -*- C++ -*-===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_KERNELS_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_KERNELS_H

#include "KernelBuilder.h"
#include "KernelPlan.h"

namespace mlir::lq::nvptx {

gpu::GPUFuncOp buildKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                             const W4Plan &plan);
gpu::GPUFuncOp buildActQuantKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                                   const W4Plan &plan);
gpu::GPUFuncOp buildW4A8Kernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                               const W4Plan &plan);
gpu::GPUFuncOp buildPVQKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                              const W4Plan &plan);

} // namespace mlir::lq::nvptx

#endif
