//===- GemvMma.cpp - the chunked mma.sync GEMV skeleton ------------------===//
//
// The encoding-independent part of the W4 and binary GEMV kernels
// (GemvMma.h): ids and activation rows, the chunk loops, the cross-warp
// reduction and the stores.
//
//===----------------------------------------------------------------------===//
#include "GemvMma.h"
#include "MmaHelpers.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

namespace {

/// The kernel shell: (x, w, y), one block per row tile, and the cross-warp
/// reduction buffer when there are several warps.
KernelScaffold beginGemv(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                         const GemvMmaTiling &tiling) {
  MLIRContext *ctx = kernels.getContext();
  const int64_t W = tiling.warps, NB = tiling.batchTiles;
  auto smemType = workgroupBuffer(ctx, NB * W * 32 * 4, Float32Type::get(ctx));
  return beginKernel(kernels, loc, plan.kernelName, 3, plan.grid, 32 * W,
                     W > 1 ? TypeRange{smemType} : TypeRange{}, plan.minBlocks);
}

} // namespace

GemvMma::GemvMma(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                 const GemvMmaTiling &tiling)
    : plan(plan), tiling(tiling), k(beginGemv(kernels, loc, plan, tiling)), b(k.b), e(k.e),
      loc(loc), xg(k.args[0]), wg(k.args[1]), yg(k.args[2]) {
  tid = e.threadId();
  tile = e.blockId();
  lane = e.band(tid, 31);
  warp = e.shr(tid, 5);
  g = e.shr(lane, 2);
  t = e.band(lane, 3);
  // Per batch tile: the activation row this lane feeds as mma column g.
  for (int64_t bt = 0; bt < tiling.batchTiles; ++bt) {
    Value row = e.add(g, e.c32(bt * 8));
    xRowBase.push_back(activationSlices(e, row, plan.batch, plan.cols, t));
  }
}

gpu::GPUFuncOp GemvMma::finish(Value zeroAcc, const GemvMmaHooks &hooks) {
  const int64_t W = tiling.warps, NB = tiling.batchTiles, C = tiling.chunks;
  const int64_t threads = 32 * W;
  Type f32 = b.getF32Type();
  auto v4f32 = VectorType::get({4}, f32);

  // Warp w takes chunks w, w + W, ...: neighbouring warps read neighbouring
  // 512-byte segments. Each iteration handles U chunks; with prefetching,
  // the next iteration's U weight loads are issued before this one's math,
  // so every lane always has U 128-bit loads in flight.
  const int64_t U = tiling.unroll;
  Value count = stridedCount(e, warp, W, C);
  Value mainIters = arith::DivUIOp::create(b, loc, count, e.c32(U));
  // Prefetches past the warp's last chunk read (and drop) chunk C - 1 of
  // the same tile rather than memory outside the weight.
  auto chunkOf = [&](Value iter, int64_t u) { return stridedItem(e, warp, W, C, U, iter, u); };
  // Weight words of U chunks, one after the other (scf.for iter_args).
  auto loadSet = [&](Value iter) {
    SmallVector<Value> words;
    for (int64_t u = 0; u < U; ++u)
      llvm::append_range(words, hooks.loadWeights(chunkOf(iter, u)));
    return words;
  };
  auto computeSet = [&](ArrayRef<Value> words, Value iter, SmallVector<Value> acc) {
    const size_t perChunk = words.size() / U;
    SmallVector<SmallVector<Value>> x;
    for (int64_t u = 0; u < U; ++u)
      x.push_back(hooks.loadX(chunkOf(iter, u)));
    for (int64_t u = 0; u < U; ++u)
      acc = hooks.computeChunk(words.slice(u * perChunk, perChunk), x[u], std::move(acc));
    return acc;
  };
  SmallVector<Value> init(NB * 4, zeroAcc);
  SmallVector<Value> mainResults;
  if (hooks.mainLoop) {
    mainResults = hooks.mainLoop(GemvMmaLoop{mainIters, chunkOf, computeSet}, init);
  } else if (tiling.prefetch) {
    mainResults = prefetchLoop(
        e, mainIters, init, loadSet, [&](ValueRange loaded, Value iter, SmallVector<Value> acc) {
          return computeSet(llvm::to_vector(loaded), iter, std::move(acc));
        });
  } else {
    mainResults = accumulateLoop(e, e.idx(0), e.toIndex(mainIters), e.idx(1), init,
                                 [&](Value iter, SmallVector<Value> acc) {
                                   return computeSet(loadSet(iter), iter, std::move(acc));
                                 });
  }
  SmallVector<Value> acc = accumulateLoop(
      e, e.toIndex(e.mul(mainIters, e.c32(U))), e.toIndex(count), e.idx(1), mainResults,
      [&](Value i, SmallVector<Value> acc) {
        Value c = e.add(warp, e.mul(i, e.c32(W)));
        SmallVector<Value> weights = hooks.loadWeights(c);
        SmallVector<Value> x = hooks.loadX(c);
        return hooks.computeChunk(weights, x, std::move(acc));
      });

  Value rowBase = e.mul(tile, e.c32(16));
  auto storeOutput = [&](Value r, Value m, Value v) {
    if (hooks.scaleOutput)
      v = hooks.scaleOutput(r, v);
    Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(rowBase, r));
    LLVM::StoreOp::create(b, loc, v, e.gep(yg, f32, at), 4);
  };

  if (W == 1) {
    // One warp holds the whole sum: lanes store their own outputs
    // (accumulatorSlot the other way round).
    for (int64_t bt = 0; bt < NB; ++bt)
      for (int64_t i = 0; i < 4; ++i) {
        Value r = e.add(g, e.c32(8 * (i / 2)));
        Value m = e.add(e.mul(t, e.c32(2)), e.c32(bt * 8 + i % 2));
        Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, e.c32(plan.batch));
        auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        storeOutput(r, m, acc[bt * 4 + i]);
      }
  } else {
    Value smem = k.workgroup();
    for (int64_t bt = 0; bt < NB; ++bt) {
      Value at = e.mul(e.add(e.mul(e.add(e.c32(bt * W), warp), e.c32(32)), lane), e.c32(4));
      Value vec = vector::FromElementsOp::create(b, loc, v4f32,
                                                 ArrayRef<Value>(acc).slice(bt * 4, 4));
      vector::StoreOp::create(b, loc, vec, smem, ValueRange{e.toIndex(at)});
    }
    gpu::BarrierOp::create(b, loc);
    // Thread s sums output s = m * 16 + r over the warps: consecutive
    // threads write consecutive rows of y.
    auto outLoop = scf::ForOp::create(b, loc, e.toIndex(tid), e.idx(16 * plan.batch), e.idx(threads));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(outLoop.getBody());
    Value s = e.toI32(outLoop.getInductionVar());
    Value r = e.band(s, 15), m = e.shr(s, 4);
    AccumulatorSlot src = accumulatorSlot(e, r, m);
    Value bt = e.shr(m, 3);
    Value sum = zeroAcc;
    for (int64_t w = 0; w < W; ++w) {
      Value at = e.add(
          e.mul(e.add(e.mul(e.add(e.mul(bt, e.c32(W)), e.c32(w)), e.c32(32)), src.lane), e.c32(4)),
          src.reg);
      Value v = memref::LoadOp::create(b, loc, smem, ValueRange{e.toIndex(at)});
      sum = arith::AddFOp::create(b, loc, sum, v);
    }
    storeOutput(r, m, sum);
  }
  return k.finish();
}

} // namespace mlir::lq::nvptx
