//===- TileAndVectorize.cpp - lq-cpu-tile-and-vectorize -----------------===//
//
// Contractions (linear layers, attention scores and values) are tiled so one
// tile is a register-sized block: rows (m) x columns (n) of the output, the
// reduction (k) advancing a few elements per step. Loops run n outside m, so
// one panel of the right operand stays in cache while all rows stream past.
// Loops over dynamic extents (the token count) are peeled, so the main loop
// has static tiles; remainders are cut into unit slices, so no tile needs
// masks. Unit loops are dropped so every tile is a 2-D contraction that
// lowers to outer products (FMAs on broadcast rows), and accumulators stay in
// registers across the reduction loop. Element-wise ops get their innermost
// parallel dimension vectorized the same way. Everything runs on buffers,
// after bufferization.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUTILEANDVECTORIZE
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

/// Marks the tiles to vectorize (with the register-block sizes they were cut
/// to, for reading dumps); survives peeling (clones keep attributes) and
/// canonicalization. Only tiles that end up static are vectorized.
static constexpr llvm::StringLiteral kVectorSizes = "lq_run.vector_sizes";

namespace {
/// Register-block sizes (the pass options).
struct TileSizes {
  int64_t tileM, tileN, tileK;
};

struct TilePlan {
  SmallVector<int64_t> tiles;       // per loop dim, 0: not tiled
  SmallVector<int64_t> vectorSizes; // per loop dim
  SmallVector<int64_t> order;       // loop nesting, outermost first
};
} // namespace

/// Picks, among `dims`, the one to vectorize: a dynamic one if any (the token
/// count), else the largest.
static std::optional<unsigned> pickDim(ArrayRef<unsigned> dims, ArrayRef<int64_t> ranges) {
  std::optional<unsigned> best;
  for (unsigned d : dims) {
    if (!best) {
      best = d;
      continue;
    }
    bool dyn = ShapedType::isDynamic(ranges[d]), bestDyn = ShapedType::isDynamic(ranges[*best]);
    if ((dyn && !bestDyn) || (dyn == bestDyn && !dyn && ranges[d] > ranges[*best]))
      best = d;
  }
  return best;
}

/// Tile `d` by `size`, or by its static extent when that is smaller.
static void setTile(TilePlan &plan, ArrayRef<int64_t> ranges, unsigned d, int64_t size) {
  if (!ShapedType::isDynamic(ranges[d]) && ranges[d] <= size) {
    plan.tiles[d] = 0; // the whole dimension is one tile
    plan.vectorSizes[d] = ranges[d];
  } else {
    plan.tiles[d] = size;
    plan.vectorSizes[d] = size;
  }
}

static std::optional<TilePlan> planContraction(linalg::LinalgOp op, const TileSizes &options) {
  if (!linalg::isaContractionOpInterface(op) || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
  if (failed(dims))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size();
  TilePlan plan;
  plan.tiles.assign(n, 1);
  plan.vectorSizes.assign(n, 1);
  std::optional<unsigned> m = pickDim(dims->m, ranges), nn = pickDim(dims->n, ranges),
                          k = pickDim(dims->k, ranges);
  // Vectorize the output's contiguous dim when it is a column dim (packed
  // weight panels, attention scores' keys).
  AffineMap outMap = op.getIndexingMapsArray().back();
  if (outMap.getNumResults() > 0)
    if (auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back()))
      if (llvm::is_contained(dims->n, last.getPosition()))
        nn = last.getPosition();
  if (m)
    setTile(plan, ranges, *m, options.tileM);
  if (nn)
    setTile(plan, ranges, *nn, options.tileN);
  if (k)
    setTile(plan, ranges, *k, options.tileK);
  // Unit-extent dims need no loop.
  for (unsigned d = 0; d < n; ++d)
    if (ranges[d] == 1) {
      plan.tiles[d] = 0;
      plan.vectorSizes[d] = 1;
    }
  for (unsigned d = 0; d < n; ++d)
    if (d != m && d != nn && d != k)
      plan.order.push_back(d);
  for (std::optional<unsigned> d : {nn, m, k})
    if (d)
      plan.order.push_back(*d);
  return plan;
}

/// Element-wise maps and reductions: vectorize the innermost dimension when
/// it is parallel and every operand reads it contiguously, else leave the op
/// to the loop lowering.
static std::optional<TilePlan> planElementwise(linalg::LinalgOp op, const TileSizes &options) {
  if (isa<linalg::CopyOp, linalg::FillOp>(op.getOperation()) || op.getNumLoops() == 0)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size(), inner = n - 1;
  auto iters = op.getIteratorTypesArray();
  if (iters[inner] != utils::IteratorType::parallel)
    return std::nullopt;
  // Gathers (tensor.extract) vectorize poorly; loops are fine.
  bool hasExtract = false;
  op->walk([&](tensor::ExtractOp) { hasExtract = true; });
  if (hasExtract)
    return std::nullopt;
  AffineExpr innerExpr = getAffineDimExpr(inner, op->getContext());
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (map.getNumResults() == 0)
      continue;
    // Operands that do not use the innermost dim are broadcast along it.
    if (!map.isFunctionOfDim(inner))
      continue;
    if (map.getResults().back() != innerExpr)
      return std::nullopt;
  }
  if (!ShapedType::isDynamic(ranges[inner]) && ranges[inner] < options.tileN / 2)
    return std::nullopt;
  TilePlan plan;
  plan.tiles.assign(n, 1);
  plan.vectorSizes.assign(n, 1);
  setTile(plan, ranges, inner, options.tileN);
  for (unsigned d = 0; d < n; ++d)
    if (ranges[d] == 1)
      plan.tiles[d] = 0;
  for (unsigned d = 0; d < n; ++d)
    plan.order.push_back(d);
  return plan;
}

/// Drops the unit-extent loops of a generic on buffers: operands are viewed
/// through rank-reducing subviews and the maps lose those dims. (Upstream's
/// linalg::dropUnitDims handles tensors only.) Fails, leaving `op` as it is,
/// for bodies that read loop indices or maps that do not select unit dims
/// plainly.
static LogicalResult dropUnitLoops(RewriterBase &rewriter, linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || !op.getBody()->getOps<linalg::IndexOp>().empty())
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size();
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> remap(n);
  unsigned kept = 0;
  for (unsigned d = 0; d < n; ++d)
    remap[d] = ranges[d] == 1 ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(kept++, ctx);
  if (kept == n || kept == 0)
    return failure();

  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  rewriter.setInsertionPoint(op);
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return failure();
    SmallVector<AffineExpr> results;
    SmallVector<int64_t> shape;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim)
        return failure();
      if (ranges[dim.getPosition()] == 1)
        continue; // a unit dim of the operand, dropped by the subview
      results.push_back(remap[dim.getPosition()]);
      shape.push_back(type.getDimSize(i));
    }
    maps.push_back(AffineMap::get(kept, 0, results, ctx));
    operands.push_back(shape.size() == (size_t)type.getRank()
                           ? operand.get()
                           : memref::createCanonicalRankReducingSubViewOp(rewriter, op.getLoc(),
                                                                          operand.get(), shape));
  }
  SmallVector<utils::IteratorType> iterators;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (ranges[d] != 1)
      iterators.push_back(it);
  unsigned numInputs = op.getNumDpsInputs();
  auto newOp = linalg::GenericOp::create(
      rewriter, op.getLoc(), TypeRange{}, ArrayRef<Value>(operands).take_front(numInputs),
      ArrayRef<Value>(operands).drop_front(numInputs), maps, iterators);
  rewriter.inlineRegionBefore(op.getRegion(), newOp.getRegion(), newOp.getRegion().begin());
  for (NamedAttribute a : op->getDiscardableAttrs())
    newOp->setAttr(a.getName(), a.getValue());
  rewriter.eraseOp(op);
  return success();
}

/// Tiles `op` per `plan`, peels the loops over dynamic extents, and tags the
/// tiled op(s) with their vector sizes.
static LogicalResult tileOp(RewriterBase &rewriter, linalg::LinalgOp op, const TilePlan &plan,
                            bool peel = true) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Attribute sizes = rewriter.getDenseI64ArrayAttr(plan.vectorSizes);
  if (llvm::all_of(plan.tiles, [](int64_t t) { return t == 0; })) {
    op->setAttr(kVectorSizes, sizes);
    return success();
  }
  // Ops are on buffers by now: linalg's own tiling handles memrefs.
  linalg::LinalgTilingOptions tiling;
  tiling.setTileSizes(plan.tiles);
  tiling.setInterchange(SmallVector<unsigned>(plan.order.begin(), plan.order.end()));
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(rewriter, op, tiling);
  if (failed(tiled))
    return failure();
  rewriter.eraseOp(op);
  tiled->op->setAttr(kVectorSizes, sizes);
  // Loops exist for tiled dims, in `order`.
  unsigned li = 0;
  for (int64_t d : plan.order) {
    if (plan.tiles[d] == 0)
      continue;
    if (li >= tiled->loops.size())
      break;
    auto loop = dyn_cast<scf::ForOp>(tiled->loops[li++]);
    if (!peel || !loop || !ShapedType::isDynamic(ranges[d]))
      continue;
    scf::ForOp partial;
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
  }
  return success();
}

static void canonicalize(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *d : ctx->getLoadedDialects())
    d->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  (void)applyPatternsGreedily(root, std::move(patterns));
}

/// The allocation, argument or global a memref value views.
static Value memrefRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Keeps reduction accumulators in registers: a transfer_read / transfer_write
/// pair of the same loop-invariant slice in a loop body becomes a loop-carried
/// vector, read before the loop and written after it. Done only when nothing
/// else in the loop touches memory of the same root buffer and every other
/// op's memory effects are known. (Upstream's hoistRedundantVectorTransfers
/// declines the pairs tiling leaves behind.)
static void hoistAccumulators(ModuleOp module) {
  IRRewriter rewriter(module.getContext());
  SmallVector<scf::ForOp> loops;
  module.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // innermost first
  for (scf::ForOp loop : loops) {
    bool changed = true;
    while (changed) {
      changed = false;
      // Ops with unknown memory effects may touch anything.
      bool opaque = false;
      loop.getBody()->walk([&](Operation *op) {
        if (!isa<MemoryEffectOpInterface>(op) &&
            !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() && op->getNumRegions() == 0 &&
            !isPure(op))
          opaque = true;
      });
      if (opaque)
        break;
      for (Operation &op : *loop.getBody()) {
        auto read = dyn_cast<vector::TransferReadOp>(&op);
        if (!read || !isa<MemRefType>(read.getBase().getType()) ||
            !llvm::all_of(read->getOperands(),
                          [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
          continue;
        vector::TransferWriteOp write;
        for (Operation *user : read.getBase().getUsers())
          if (auto w = dyn_cast<vector::TransferWriteOp>(user))
            if (w->getBlock() == loop.getBody() && read->isBeforeInBlock(w) &&
                w.getIndices() == read.getIndices() && !w.getMask() && !read.getMask() &&
                w.getVectorType() == read.getVectorType() &&
                w.getPermutationMap() == read.getPermutationMap())
              write = w;
        if (!write)
          continue;
        Value root = memrefRoot(read.getBase());
        bool aliased = false;
        loop.getBody()->walk([&](Operation *other) {
          if (other == read || other == write || isa<ViewLikeOpInterface>(other))
            return;
          for (Value operand : other->getOperands())
            if (isa<BaseMemRefType>(operand.getType()) && memrefRoot(operand) == root)
              aliased = true;
        });
        if (aliased)
          continue;
        rewriter.moveOpBefore(read, loop);
        Value yielded = write.getVector();
        FailureOr<LoopLikeOpInterface> newLoop = loop.replaceWithAdditionalYields(
            rewriter, ValueRange{read.getResult()}, /*replaceInitOperandUsesInLoop=*/true,
            [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
              return SmallVector<Value>{yielded};
            });
        if (failed(newLoop))
          return;
        loop = cast<scf::ForOp>(newLoop->getOperation());
        rewriter.moveOpAfter(write, loop);
        rewriter.modifyOpInPlace(
            write, [&] { write.getValueToStoreMutable().assign(loop.getResults().back()); });
        changed = true;
        break;
      }
    }
  }
}

static LogicalResult tileAndVectorize(ModuleOp module, const TileSizes &options) {
  MLIRContext *ctx = module.getContext();
  IRRewriter rewriter(ctx);
  SmallVector<std::pair<linalg::LinalgOp, TilePlan>> work;
  module.walk([&](linalg::LinalgOp op) {
    if (!op.hasPureBufferSemantics())
      return;
    if (auto plan = planContraction(op, options))
      work.push_back({op, *plan});
    else if (auto plan = planElementwise(op, options))
      work.push_back({op, *plan});
  });
  for (auto &[op, plan] : work)
    if (failed(tileOp(rewriter, op, plan)))
      return op->emitError("cannot tile this op for vectorization");
  // Folds the peeled loops' tile sizes into static shapes.
  canonicalize(module);

  // Remainder tiles (dynamic extents left by peeling) are cut into unit
  // slices along those dims, so every tile is static and needs no masks.
  SmallVector<linalg::LinalgOp> remainders;
  module.walk([&](linalg::LinalgOp op) {
    if (op->hasAttr(kVectorSizes) && op.hasDynamicShape())
      remainders.push_back(op);
  });
  for (linalg::LinalgOp op : remainders) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> sizes(cast<DenseI64ArrayAttr>(op->getAttr(kVectorSizes)).asArrayRef());
    TilePlan plan;
    plan.tiles.assign(ranges.size(), 0);
    for (unsigned d = 0; d < ranges.size(); ++d) {
      if (ShapedType::isDynamic(ranges[d])) {
        plan.tiles[d] = 1;
        sizes[d] = 1;
      } else {
        sizes[d] = ranges[d];
      }
      plan.order.push_back(d);
    }
    plan.vectorSizes = sizes;
    // No dynamic dims remain, so tileOp peels nothing.
    if (failed(tileOp(rewriter, op, plan, /*peel=*/false)))
      return op->emitError("cannot tile a remainder tile for vectorization");
  }
  canonicalize(module);

  // Unit dims (a tile's single head, a decode step's single row) would make
  // contractions lower to per-element dot products; dropped, a tile is a
  // plain 2-D contraction that lowers to outer products.
  SmallVector<linalg::GenericOp> withUnitDims;
  module.walk([&](linalg::GenericOp op) {
    if (op->hasAttr(kVectorSizes) && !op.hasDynamicShape() &&
        llvm::is_contained(op.getStaticLoopRanges(), 1))
      withUnitDims.push_back(op);
  });
  for (linalg::GenericOp op : withUnitDims)
    (void)dropUnitLoops(rewriter, op);
  canonicalize(module);

  SmallVector<linalg::LinalgOp> tagged;
  module.walk([&](linalg::LinalgOp op) {
    if (op->hasAttr(kVectorSizes))
      tagged.push_back(op);
  });
  for (linalg::LinalgOp op : tagged) {
    op->removeAttr(kVectorSizes);
    // Anything still dynamic stays a loop nest rather than risk masks.
    if (op.hasDynamicShape() || failed(linalg::vectorizeOpPrecondition(op)))
      continue;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
        rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false, /*createNamedContraction=*/true);
    if (failed(result))
      continue;
    rewriter.eraseOp(op); // on buffers there are no results to replace
  }

  // Staged like upstream's CPU recipes: transfer layouts first, then
  // contractions to outer products to FMAs, then what reductions remain.
  auto stage = [&](llvm::function_ref<void(RewritePatternSet &)> populate) {
    RewritePatternSet patterns(ctx);
    populate(patterns);
    for (Dialect *d : ctx->getLoadedDialects())
      d->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    return applyPatternsGreedily(module, std::move(patterns));
  };
  if (failed(stage([](RewritePatternSet &p) {
        vector::populateVectorTransferPermutationMapLoweringPatterns(p);
        vector::populateVectorReductionToContractPatterns(p);
        vector::populateCastAwayVectorLeadingOneDimPatterns(p);
      })) ||
      failed(stage([](RewritePatternSet &p) {
        vector::populateVectorContractLoweringPatterns(
            p, vector::VectorContractLowering::OuterProduct);
        vector::populateVectorOuterProductLoweringPatterns(p);
      })) ||
      failed(stage([](RewritePatternSet &p) {
        vector::populateVectorMultiReductionLoweringPatterns(
            p, vector::VectorMultiReductionLowering::InnerParallel);
      })))
    return module.emitError("vector lowering patterns did not converge");
  // exp (softmax, SiLU) as a polynomial on vectors: LLVM would otherwise
  // scalarize each vector exp into libm calls.
  if (failed(stage([](RewritePatternSet &p) {
        populateMathPolynomialApproximationPatterns(p, [](StringRef name) {
          name.consume_front("math.");
          return name == "exp";
        });
      })))
    return module.emitError("math approximation patterns did not converge");
  module.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
  hoistAccumulators(module);
  return success();
}

namespace {
struct LQCPUTileAndVectorizePass
    : public mlir::lq::impl::LQCPUTileAndVectorizeBase<LQCPUTileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {
    for (auto [name, value] :
         {std::pair{"tile-m", int64_t(tileM)}, std::pair{"tile-n", int64_t(tileN)},
          std::pair{"tile-k", int64_t(tileK)}})
      if (value < 1 || value > 64) {
        getOperation().emitError()
            << "lq-cpu-tile-and-vectorize: " << name << " must be in [1, 64], got " << value;
        return signalPassFailure();
      }
    if (failed(tileAndVectorize(getOperation(), TileSizes{tileM, tileN, tileK})))
      signalPassFailure();
  }
};
} // namespace
