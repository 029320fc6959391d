//===- ReturnArgumentsInPlace.cpp - lq-cpu-return-arguments-in-place ------===//
//
// After deallocation every result is a fresh buffer; a result that is a
// clone of an argument returns the argument itself, so @decode updates its
// KV caches in place instead of copying them on every step (the runner and
// the C header check that the buffer they passed comes back). Before
// bufferization-lower-deallocations, the clone is also among the buffers a
// bufferization.dealloc frees or retains; it leaves the first list, and the
// argument takes its place in the second.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPURETURNARGUMENTSINPLACE
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

/// Whether the only uses of `clone` are one operand of `ret` and
/// bufferization.dealloc ops that list it or retain it with no use of the
/// ownership they report for it.
static bool onlyReturnedAndDeallocated(bufferization::CloneOp clone, func::ReturnOp ret) {
  unsigned returned = 0;
  for (OpOperand &use : clone->getUses()) {
    if (use.getOwner() == ret.getOperation()) {
      ++returned;
      continue;
    }
    auto dealloc = dyn_cast<bufferization::DeallocOp>(use.getOwner());
    if (!dealloc)
      return false;
    for (auto [retained, updated] : llvm::zip(dealloc.getRetained(), dealloc.getUpdatedConditions()))
      if (retained == clone.getOutput() && !updated.use_empty())
        return false;
  }
  return returned == 1;
}

/// `dealloc` without `clone` among the buffers it frees, and retaining
/// `arg` in its place (the function keeps no ownership of its argument).
static void replaceInDealloc(bufferization::DeallocOp dealloc, Value clone, Value arg) {
  SmallVector<Value> memrefs, conditions, retained;
  for (auto [memref, condition] : llvm::zip(dealloc.getMemrefs(), dealloc.getConditions()))
    if (memref != clone) {
      memrefs.push_back(memref);
      conditions.push_back(condition);
    }
  for (Value r : dealloc.getRetained())
    retained.push_back(r == clone ? arg : r);
  OpBuilder b(dealloc);
  auto made = bufferization::DeallocOp::create(b, dealloc.getLoc(), memrefs, conditions, retained);
  dealloc->replaceAllUsesWith(made);
  dealloc->erase();
}

namespace {
struct LQCPUReturnArgumentsInPlacePass
    : public mlir::lq::impl::LQCPUReturnArgumentsInPlaceBase<LQCPUReturnArgumentsInPlacePass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands()) {
        auto clone = operand.get().getDefiningOp<bufferization::CloneOp>();
        if (!clone || !onlyReturnedAndDeallocated(clone, ret))
          continue;
        auto arg = dyn_cast<BlockArgument>(clone.getInput());
        if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp()) ||
            arg.getType() != clone.getType())
          continue;
        operand.set(arg);
        // A dealloc may both free and retain the clone: one user, two uses.
        SetVector<Operation *> deallocs(clone->user_begin(), clone->user_end());
        for (Operation *user : deallocs)
          replaceInDealloc(cast<bufferization::DeallocOp>(user), clone, arg);
        clone->erase();
      }
    });
  }
};
} // namespace
