//===- TileParallelLoops.cpp - lq-gpu-tile-parallel-loops -----------------===//
//
// Blocks of threads for convert-parallel-loops-to-gpu: the innermost
// dimension of each outermost scf.parallel is cut into tiles of `threads`
// iterations (the threads of a block), every other dimension into tiles of
// one (the blocks).
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQGPUTILEPARALLELLOOPS
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {
struct LQGPUTileParallelLoopsPass
    : public mlir::lq::impl::LQGPUTileParallelLoopsBase<LQGPUTileParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads < 1 || threads > 1024) {
      emitError(getOperation().getLoc())
          << "lq-gpu-tile-parallel-loops: threads must be in [1, 1024], got " << threads;
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](func::FuncOp func) {
      if (!functions.empty() && !llvm::is_contained(functions, func.getSymName()))
        return;
      func.walk([&](scf::ParallelOp loop) {
        if (!loop->getParentOfType<scf::ParallelOp>())
          outermost.push_back(loop);
      });
    });
    for (scf::ParallelOp loop : outermost) {
      SmallVector<int64_t> sizes(loop.getNumLoops(), 1);
      sizes.back() = threads;
      // Constant inner bounds with a bounds check inside, rather than an
      // affine.min bound: convert-parallel-loops-to-gpu derives the block
      // size from a constant (a product of constants) only.
      scf::tileParallelLoop(loop, sizes, /*noMinMaxBounds=*/true);
    }
  }
};
} // namespace
