//===- HostLaunch.h -*- C++ -*-===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_HOSTLAUNCH_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_HOSTLAUNCH_H

#include "KernelPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq::nvptx {

/// `func.func private @<name>_device() -> !llvm.ptr`: the device copy of
/// the packed weight, uploaded on first use and kept for the process.
func::FuncOp buildWeightUpload(ModuleOp module, Location loc, const W4Plan &plan);
void emitLaunch(MatmulOp op, Value input, const W4Plan &plan, gpu::GPUFuncOp kernel,
                gpu::GPUFuncOp quant, func::FuncOp upload);

} // namespace mlir::lq::nvptx

#endif
