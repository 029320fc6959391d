//===- Passes.h - quant-opt passes ------------------------------*- C++ -*-===//
#ifndef LQ_PASSES_H
#define LQ_PASSES_H

#include "LQ/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lq {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Registers the named pipelines qqq-w4a8, wkv-w4kv4 and fpt-w4a4kv4.
void registerLQPipelines();

} // namespace mlir::lq

#endif // LQ_PASSES_H
