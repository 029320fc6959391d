//===- ReturnArgumentsInPlace.cpp - lq-cpu-return-arguments-in-place ------===//
//
// After deallocation every result is a fresh buffer; a result that is a
// clone of an argument returns the argument itself, so @decode updates its
// KV caches in place instead of copying them on every step (the runner and
// the C header check that the buffer they passed comes back).
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPURETURNARGUMENTSINPLACE
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {
struct LQCPUReturnArgumentsInPlacePass
    : public mlir::lq::impl::LQCPUReturnArgumentsInPlaceBase<LQCPUReturnArgumentsInPlacePass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands()) {
        auto clone = operand.get().getDefiningOp<bufferization::CloneOp>();
        if (!clone || !clone->hasOneUse())
          continue;
        auto arg = dyn_cast<BlockArgument>(clone.getInput());
        if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp()) ||
            arg.getType() != clone.getType())
          continue;
        operand.set(arg);
        clone->erase();
      }
    });
  }
};
} // namespace
