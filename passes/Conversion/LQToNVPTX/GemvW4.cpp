//===- GemvW4.cpp - the W4 GEMV kernel: 4-bit codes on mma.sync ----------===//
//
// W4 kernel: the chunked mma GEMV of GemvMma.h on 64-column chunks. A
// lane's 128-bit load holds 32 codes = its mma A fragments for four 16x16
// k-tiles; codes become f16 (q - zero exactly) with one AND/OR and one
// f16x2 subtract per pair, and go through mma.sync.m16n8k16 (f16 x f16 ->
// f32) against the activations (batch <= 8 per mma column tile; f32
// activations as two f16 parts). Group scales apply in f32 once per chunk,
// per-channel scales once at the end. With `stages`, the weights stream
// through a cp.async ring in shared memory instead of registers.
//
//===----------------------------------------------------------------------===//
#include "GemvMma.h"
#include "Kernels.h"
#include "MmaHelpers.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

gpu::GPUFuncOp buildW4GemvKernel(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                                 const W4GemvPlan &w4) {
  const int64_t W = w4.warps, NB = w4.batchTiles, C = w4.chunks;
  const int64_t threads = 32 * W;
  // cp.async staging ring (per-thread slots): codes, and the 4-byte group
  // parameters. Plain shared-memory globals give !llvm.ptr<3> directly.
  const int64_t S = w4.stages;
  const bool grouped = plan.groups > 1;
  LLVM::GlobalOp ringCodes, ringScales, ringZeros;
  if (S > 0) {
    OpBuilder outer = OpBuilder::atBlockEnd(kernels.getBody());
    auto global = [&](StringRef suffix, int64_t words) {
      auto type = LLVM::LLVMArrayType::get(outer.getI32Type(), words);
      auto g = LLVM::GlobalOp::create(outer, loc, type, /*isConstant=*/false,
                                      LLVM::Linkage::Internal,
                                      (plan.kernelName + suffix).str(), Attribute(),
                                      /*alignment=*/16, /*addrSpace=*/3);
      return g;
    };
    int64_t slots = S * w4.unroll * threads;
    ringCodes = global("_ring_codes", slots * 4);
    if (grouped)
      ringScales = global("_ring_scales", slots);
    if (!w4.symmetric)
      ringZeros = global("_ring_zeros", slots);
  }

  GemvMma k(kernels, loc, plan, w4);
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value xg = k.xg, wg = k.wg, tid = k.tid, tile = k.tile, lane = k.lane, g = k.g;
  Type f32 = b.getF32Type(), i32 = e.i32();
  VectorType v2f16 = e.v2f16(), v4i32 = e.v4i32();
  auto v4f32 = VectorType::get({4}, f32);
  auto v2f32 = VectorType::get({2}, f32);

  // Element offsets of the parameter words of this lane's rows (g, g + 8).
  Value paramLane = e.add(e.mul(tile, e.c32(plan.groups * 8)), g);
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(w4.blob.scalesOffset));
  Value zerosBase =
      w4.symmetric ? Value() : e.gep(wg, b.getI8Type(), e.c32(w4.blob.zerosOffset));
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(w4.blob.codesOffset));
  Value codesLane = e.add(e.mul(tile, e.c32(C * 32)), lane);

  W4ToF16 dequant(e);
  Value zeroAcc = e.f32(0.0);
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;
  const int64_t xVecsPerChunk = plan.f32Input ? 4 : 2; // 16 elements per lane

  // A chunk's weight words: its codes (vector<4xi32>), then, as i32 words
  // holding the f16 pair of rows g and g + 8, its group scale (grouped
  // codes) and its zero (asymmetric codes).
  auto loadWeights = [&](Value c) {
    SmallVector<Value> words;
    Value at = e.add(codesLane, e.mul(c, e.c32(32)));
    words.push_back(e.load(v4i32, e.gep(codesBase, v4i32, at), 16));
    if (grouped || !w4.symmetric) {
      Value group = chunksPerGroup == 1 ? c : arith::DivUIOp::create(b, loc, c, e.c32(chunksPerGroup));
      Value at = e.add(paramLane, e.mul(group, e.c32(8)));
      if (grouped)
        words.push_back(e.load(i32, e.gep(scalesBase, i32, at), 4));
      if (!w4.symmetric)
        words.push_back(e.load(i32, e.gep(zerosBase, i32, at), 4));
    }
    return words;
  };
  auto loadX = [&](Value c) {
    SmallVector<Value> x;
    for (int64_t bt = 0; bt < NB; ++bt) {
      // The chunk's 64 columns are 4 lane slices of 16; this lane's slice
      // is 16 contiguous elements (the layout permutes W's columns to match).
      Value slice = e.add(k.xRowBase[bt], e.mul(c, e.c32(4)));
      Value first = e.mul(slice, e.c32(xVecsPerChunk));
      for (int64_t v = 0; v < xVecsPerChunk; ++v) {
        // Columns past the batch read a real (clamped) row: finite values
        // whose mma columns are never stored, so no masking is needed.
        x.push_back(e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16));
      }
    }
    return x;
  };

  auto computeChunk = [&](ArrayRef<Value> words, ArrayRef<Value> x, SmallVector<Value> acc) {
    Value codes = words[0];
    Value scale = grouped ? words[1] : Value();
    Value zero = w4.symmetric ? Value() : words[grouped ? 2 : 1];
    W4ToF16::Offsets offsets = dequant.offsets(zero);
    SmallVector<Value> part(acc.size(), zeroAcc);
    SmallVector<Value> &sum = grouped ? part : acc;
    for (int64_t j = 0; j < 4; ++j) {
      SmallVector<Value> a = dequant.fragment(e.extract(codes, j), offsets);
      for (int64_t bt = 0; bt < NB; ++bt) {
        ArrayRef<Value> xs = x.slice(bt * xVecsPerChunk, xVecsPerChunk);
        SmallVector<Value> c(sum.begin() + bt * 4, sum.begin() + bt * 4 + 4);
        if (!plan.f32Input) {
          // k-tile j reads halves 4j..4j+3 of the lane's 16: two f16x2 words.
          c = mmaF16(e, a, f16BFragment(e, xs[j / 2], j), c);
        } else {
          // f32 activations as hi + lo f16 parts: two mmas keep ~22 bits.
          Value vec = e.bitcast(v4f32, xs[j]);
          SmallVector<Value> hi, lo;
          for (int64_t h = 0; h < 2; ++h) {
            Value pair = vector::ShuffleOp::create(b, loc, vec, vec,
                                                   ArrayRef<int64_t>{2 * h, 2 * h + 1});
            Value hv = arith::TruncFOp::create(b, loc, v2f16, pair);
            Value rest = arith::SubFOp::create(b, loc, pair,
                                               arith::ExtFOp::create(b, loc, v2f32, hv));
            hi.push_back(hv);
            lo.push_back(arith::TruncFOp::create(b, loc, v2f16, rest));
          }
          c = mmaF16(e, a, hi, c);
          c = mmaF16(e, a, lo, c);
        }
        std::copy(c.begin(), c.end(), sum.begin() + bt * 4);
      }
    }
    if (grouped) {
      auto [sG, sG8] = rowPairToF32(e, scale);
      for (int64_t bt = 0; bt < NB; ++bt)
        for (int64_t i = 0; i < 4; ++i)
          acc[bt * 4 + i] = e.fma(i < 2 ? sG : sG8, part[bt * 4 + i], acc[bt * 4 + i]);
    }
    return acc;
  };

  // cp.async pipeline: S - 1 iterations' weights are in flight into shared
  // memory while one is computed, without holding registers. Each thread
  // reads back only its own slots, so cp.async.wait_group orders
  // everything (no barrier).
  auto ringLoop = [&](const GemvMmaLoop &loop, SmallVector<Value> init) {
    const int64_t U = w4.unroll;
    Value codesRing = LLVM::AddressOfOp::create(b, loc, ringCodes);
    Value scalesRing = grouped ? LLVM::AddressOfOp::create(b, loc, ringScales).getResult() : Value();
    Value zerosRing = w4.symmetric ? Value() : LLVM::AddressOfOp::create(b, loc, ringZeros).getResult();
    auto slotIndex = [&](Value slot, int64_t u) {
      return e.add(e.mul(e.add(e.mul(slot, e.c32(U)), e.c32(u)), e.c32(threads)), tid);
    };
    auto issue = [&](Value iter) {
      Value slot = arith::RemUIOp::create(b, loc, iter, e.c32(S));
      for (int64_t u = 0; u < U; ++u) {
        Value c = loop.chunkOf(iter, u);
        Value at = slotIndex(slot, u);
        Value src = e.gep(codesBase, v4i32, e.add(codesLane, e.mul(c, e.c32(32))));
        NVVM::CpAsyncOp::create(b, loc, e.gep(codesRing, v4i32, at), src, 16,
                                NVVM::LoadCacheModifierKind::CG, Value());
        if (grouped || !w4.symmetric) {
          Value group = chunksPerGroup == 1
                            ? c
                            : arith::DivUIOp::create(b, loc, c, e.c32(chunksPerGroup)).getResult();
          Value pat = e.add(paramLane, e.mul(group, e.c32(8)));
          if (grouped)
            NVVM::CpAsyncOp::create(b, loc, e.gep(scalesRing, i32, at),
                                    e.gep(scalesBase, i32, pat), 4,
                                    NVVM::LoadCacheModifierKind::CA, Value());
          if (!w4.symmetric)
            NVVM::CpAsyncOp::create(b, loc, e.gep(zerosRing, i32, at),
                                    e.gep(zerosBase, i32, pat), 4,
                                    NVVM::LoadCacheModifierKind::CA, Value());
        }
      }
    };
    // Only iterations that exist are fetched; every iteration still commits
    // a (possibly empty) group so wait_group counts stay aligned.
    auto issueIfValid = [&](Value iter) {
      Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, iter, loop.iters);
      auto ifOp = scf::IfOp::create(b, loc, valid, /*withElseRegion=*/false);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        issue(iter);
      }
      NVVM::CpAsyncCommitGroupOp::create(b, loc);
    };
    for (int64_t st = 0; st + 1 < S; ++st)
      issueIfValid(e.c32(st));
    SmallVector<Value> results = accumulateLoop(
        e, e.idx(0), e.toIndex(loop.iters), e.idx(1), init,
        [&](Value iter, SmallVector<Value> acc) {
          issueIfValid(e.add(iter, e.c32(S - 1)));
          NVVM::CpAsyncWaitGroupOp::create(b, loc, S - 1);
          Value slot = arith::RemUIOp::create(b, loc, iter, e.c32(S));
          // The U chunks' words, as loadWeights gives them.
          SmallVector<Value> words;
          for (int64_t u = 0; u < U; ++u) {
            Value at = slotIndex(slot, u);
            words.push_back(e.load(v4i32, e.gep(codesRing, v4i32, at), 16));
            if (grouped)
              words.push_back(e.load(i32, e.gep(scalesRing, i32, at), 4));
            if (!w4.symmetric)
              words.push_back(e.load(i32, e.gep(zerosRing, i32, at), 4));
          }
          return loop.compute(words, iter, std::move(acc));
        });
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    return results;
  };
  // Per-channel codes: the scale once, at the end.
  auto scaleOutput = [&](Value r, Value v) { return scaleByChannel(e, v, scalesBase, tile, r); };

  GemvMmaHooks hooks;
  hooks.loadWeights = loadWeights;
  hooks.loadX = loadX;
  hooks.computeChunk = computeChunk;
  if (S > 0)
    hooks.mainLoop = ringLoop;
  if (!grouped)
    hooks.scaleOutput = scaleOutput;
  return k.finish(zeroAcc, hooks);
}

} // namespace mlir::lq::nvptx
