//===- UnshareFills.cpp - lq-gpu-unshare-fills ----------------------------===//
//
// CSE merges the identical fills that initialize every layer's reductions
// (RMSNorm's sum, softmax's maximum and sum, attention's products) into
// one, which each reduction would overwrite: bufferization then copies the
// shared fill into a fresh buffer per reduction. Each use gets a fill of
// its own instead, written in place, which lq-gpu-block-reductions folds
// into the reduction's kernel: on the GPU, every copy and fill is a launch.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUUNSHAREFILLS
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {
struct LQGPUUnshareFillsPass
    : public mlir::lq::impl::LQGPUUnshareFillsBase<LQGPUUnshareFillsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::FillOp> shared;
    // Program order, so the first use in the text keeps the original fill.
    llvm::DenseMap<Operation *, unsigned> order;
    for (func::FuncOp func : mlir::lq::getSelectedFunctions(getOperation(), functions)) {
      func.walk<WalkOrder::PreOrder>([&](Operation *op) { order[op] = order.size(); });
      func.walk([&](linalg::FillOp fill) {
        if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse() &&
            fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
          shared.push_back(fill);
      });
    }
    for (linalg::FillOp fill : shared) {
      auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
      // Every use but the first gets its own empty tensor and fill, placed
      // just before it (the fill's operands dominate the original fill).
      SmallVector<OpOperand *> uses = llvm::to_vector(llvm::make_pointer_range(fill->getUses()));
      llvm::stable_sort(uses, [&](OpOperand *a, OpOperand *b) {
        return order.lookup(a->getOwner()) < order.lookup(b->getOwner());
      });
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder b(use->getOwner());
        Operation *ownEmpty = b.clone(*empty);
        IRMapping mapping;
        mapping.map(empty.getResult(), ownEmpty->getResult(0));
        Operation *ownFill = b.clone(*fill, mapping);
        use->set(ownFill->getResult(0));
      }
    }
  }
};
} // namespace
