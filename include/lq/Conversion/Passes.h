//===- Passes.h - lowerings out of lq ---------------------------*- C++ -*-===//
//
// The conversions of lq/Conversion/Passes.td: lq to linalg, lq to NVPTX
// kernels, and the CPU code generation pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_PASSES_H
#define LQ_CONVERSION_PASSES_H

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lq {

#define GEN_PASS_DECL
#include "lq/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lq/Conversion/Passes.h.inc"

} // namespace mlir::lq

#endif // LQ_CONVERSION_PASSES_H
