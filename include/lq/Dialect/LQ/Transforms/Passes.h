//===- Passes.h - lq quantization passes ------------------------*- C++ -*-===//
//
// The passes of lq/Dialect/LQ/Transforms/Passes.td and the named pipelines
// built from them (qqq-w4a8, wkv-w4kv4, fpt-w4a4kv4).
//
//===----------------------------------------------------------------------===//
#ifndef LQ_DIALECT_LQ_TRANSFORMS_PASSES_H
#define LQ_DIALECT_LQ_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::lq {

#define GEN_PASS_DECL
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"

/// Registers the named pipelines qqq-w4a8, wkv-w4kv4 and fpt-w4a4kv4.
void registerLQPipelines();

} // namespace mlir::lq

#endif // LQ_DIALECT_LQ_TRANSFORMS_PASSES_H
