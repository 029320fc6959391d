//===- TileParallelLoops.cpp - lq-gpu-tile-parallel-loops -----------------===//
//
// Blocks of threads for convert-parallel-loops-to-gpu: each outermost
// scf.parallel is collapsed into one dimension, cut into tiles of `threads`
// iterations (the threads of a block), one tile per block.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>
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
    auto collectOutermost = [&] {
      SmallVector<scf::ParallelOp> outermost;
      for (func::FuncOp func : mlir::lq::getSelectedFunctions(getOperation(), functions))
        func.walk([&](scf::ParallelOp loop) {
          if (!loop->getParentOfType<scf::ParallelOp>())
            outermost.push_back(loop);
        });
      return outermost;
    };
    // One dimension per loop: gpu-map-parallel-loops maps at most three
    // dimensions onto the grid and runs the others serially in every
    // thread, and a short (or unit) dimension mapped onto the threads
    // leaves the long dynamic one (the positions of a KV cache) serial.
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : collectOutermost()) {
      if (loop.getNumLoops() < 2)
        continue;
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {all});
    }
    for (scf::ParallelOp loop : collectOutermost()) {
      // Constant inner bounds with a bounds check inside, rather than an
      // affine.min bound: convert-parallel-loops-to-gpu derives the block
      // size from a constant (a product of constants) only.
      scf::tileParallelLoop(loop, {threads}, /*noMinMaxBounds=*/true);
    }
  }
};
} // namespace
