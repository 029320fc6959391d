//===- W4Gemm.cpp - the register-tiled 4-bit GEMM: W4A8 and W4A16 --------===//
//
// One GEMM skeleton for 4-bit codes past the GEMV's batches, on two
// activation types:
//  * W4A8: int8 activations (buildActQuantKernel's scratch buffer), codes
//    expanded to int8, mma.sync.m16n8k32 (s8 x s8 -> s32) summed exactly in
//    int32 per unit;
//  * W4A16: the f16 activations themselves, codes dequantized to f16 as in
//    the W4 GEMV (W4ToF16), mma.sync.m16n8k16 (f16 x f16 -> f32).
// Both read the W4 layout's 128-bit code words (docs/GPULayout.md; W4A8's
// packing orders nibbles for the int8 expansion) and share the tiling, the
// K-unit loop and the cross-warp reduction.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "KernelBuilder.h"
#include "MmaHelpers.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

namespace {

/// The GEMM of `tiling` for W4A8 (`w4a8`) or W4A16 (`w4`). A block has
/// rowWarps x kWarps warps: warp (rw, kw) owns row tiles (rowBlock *
/// rowWarps + rw) * RT .. + RT - 1 and K units kw, kw + kWarps, ...; the
/// rowWarps warps that share units read the same activations at about the
/// same time (L1 hits), and a warp's RT row tiles share every activation
/// fragment it loads. Each block covers nTiles batch tiles of 8 rows; batch
/// blocks of one row block are neighbours in the grid, so the weight they
/// all read comes from L2 after the first.
gpu::GPUFuncOp buildGemm(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                         const W4GemmTiling &tiling, const ::lq::gpu::W4Blob &blob,
                         const W4A8Plan *w4a8, const W4GemmPlan *w4) {
  MLIRContext *ctx = kernels.getContext();
  const bool int8 = w4a8 != nullptr;
  const bool symmetric = int8 || w4->symmetric;
  const int64_t RW = tiling.rowWarps, KW = tiling.kWarps, NB = tiling.nTiles, C = tiling.chunks;
  const int64_t BB = tiling.batchBlocks, threads = plan.threads, BM = 8 * NB,
                RT = tiling.warpTiles;
  const bool grouped = plan.groups > 1;
  // Group scales multiplied into the f16 weights: no per-unit partial sums.
  const bool f16Scales = w4 && w4->f16Scales;
  auto smemType = workgroupBuffer(ctx, RW * KW * RT * NB * 32 * 4, Float32Type::get(ctx));
  // W4A8 may be launched while the quantization kernel still runs: nothing
  // is read or written before it has completed.
  std::optional<NVVM::GridDepActionKind> dependency;
  if (int8 && w4a8->dependentLaunch)
    dependency = NVVM::GridDepActionKind::wait;
  KernelScaffold k = beginKernel(kernels, loc, plan.kernelName, 3, plan.grid, threads,
                                 {smemType}, plan.minBlocks, dependency);
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value xg = k.args[0]; // W4A8: the scratch buffer's int8 codes and scales
  Value wg = k.args[1];
  Value yg = k.args[2];
  Type f32 = b.getF32Type(), i32 = e.i32();
  VectorType v4i32 = e.v4i32();

  Value tid = e.threadId();
  Value bid = e.blockId();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  Value g = e.shr(lane, 2), t = e.band(lane, 3);
  Value rowBlock = arith::DivUIOp::create(b, loc, bid, e.c32(BB));
  Value bb = arith::RemUIOp::create(b, loc, bid, e.c32(BB));
  Value rw = arith::RemUIOp::create(b, loc, warp, e.c32(RW));
  Value kw = arith::DivUIOp::create(b, loc, warp, e.c32(RW));
  // The warp's RT row tiles share every activation fragment.
  Value tile0 = e.mul(e.add(e.mul(rowBlock, e.c32(RW)), rw), e.c32(RT));
  Value batchBase = e.mul(bb, e.c32(BM));

  // Activation rows (clamped: padding columns read a real row and are
  // never stored), in units of 16 elements: one 128-bit load of int8, two
  // of f16.
  const int64_t xVecs = int8 ? 1 : 2;
  SmallVector<Value> xRowBase;
  for (int64_t nt = 0; nt < NB; ++nt) {
    Value r = e.add(batchBase, e.add(g, e.c32(nt * 8)));
    xRowBase.push_back(activationSlices(e, r, plan.batch, plan.cols, t));
  }
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(blob.codesOffset));
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(blob.scalesOffset));
  Value zerosBase = symmetric ? Value() : e.gep(wg, b.getI8Type(), e.c32(blob.zerosOffset));
  SmallVector<Value> codesLane, paramLane;
  for (int64_t r = 0; r < RT; ++r) {
    Value tile = e.add(tile0, e.c32(r));
    codesLane.push_back(e.add(e.mul(tile, e.c32(C * 32)), lane));
    paramLane.push_back(e.add(e.mul(tile, e.c32(plan.groups * 8)), g));
  }
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;
  std::optional<W4ToF16> dequant;
  if (!int8)
    dequant.emplace(e);

  // A unit is UC consecutive chunks: one whole group (up to 256 columns) for
  // grouped codes, so its sums are scaled once (W4A8: converted from int32
  // once); one chunk per-channel (W4A8's int32 sums run over all of K).
  const int64_t UC = grouped && chunksPerGroup <= 4 ? chunksPerGroup : 1;
  const int64_t CU = C / UC;
  // Activation words of chunk i of a unit: per batch tile, its words
  // vFirst .. vFirst + count - 1 (all xVecs by default).
  auto loadActivations = [&](Value unit, int64_t i, int64_t vFirst = 0, int64_t count = 0) {
    Value c = e.add(e.mul(unit, e.c32(UC)), e.c32(i));
    SmallVector<Value> x;
    for (int64_t nt = 0; nt < NB; ++nt) {
      Value first = e.mul(e.add(xRowBase[nt], e.mul(c, e.c32(4))), e.c32(xVecs));
      for (int64_t v = vFirst; v < vFirst + (count ? count : xVecs); ++v)
        x.push_back(e.load(v4i32, e.gep(xg, v4i32, v ? e.add(first, e.c32(v)) : first), 16));
    }
    return x;
  };
  // Weights of a unit: one 128-bit word per lane and chunk, plus the group's
  // scale pair (rows g, g + 8) and, for asymmetric codes, its zero pair.
  auto loadWeights = [&](Value unit) {
    SmallVector<Value> d; // codes [r][i], then scales [r], then zeros [r]
    for (int64_t r = 0; r < RT; ++r)
      for (int64_t i = 0; i < UC; ++i) {
        Value c = e.add(e.mul(unit, e.c32(UC)), e.c32(i));
        d.push_back(
            e.load(v4i32, e.gep(codesBase, v4i32, e.add(codesLane[r], e.mul(c, e.c32(32)))), 16));
      }
    if (grouped || !symmetric) {
      Value group = !grouped                  ? e.c32(0)
                    : chunksPerGroup == UC    ? unit
                                              : arith::DivUIOp::create(
                                                    b, loc, unit, e.c32(chunksPerGroup))
                                                    .getResult();
      for (Value base : {grouped ? scalesBase : Value(), zerosBase}) {
        if (!base)
          continue;
        for (int64_t r = 0; r < RT; ++r)
          d.push_back(
              e.load(i32, e.gep(base, i32, e.add(paramLane[r], e.mul(group, e.c32(8)))), 4));
      }
    }
    // With `prefetch`, the unit's activations travel with its weights (one
    // iteration ahead), else they are loaded just before use.
    if (tiling.prefetch)
      for (int64_t i = 0; i < UC; ++i)
        llvm::append_range(d, loadActivations(unit, i));
    return d;
  };
  const int64_t scalesAt = RT * UC, zerosAt = scalesAt + (grouped ? RT : 0);
  const int64_t xAt = zerosAt + (symmetric ? 0 : RT);
  const int64_t perUnit = xAt + (tiling.prefetch ? UC * NB * xVecs : 0);
  Value zeroI = e.c32(0), zeroF = e.f32(0.0);
  // W4A8: |sum| over a unit (at most 256 columns) is below 16 * 8 * 127 *
  // 256 < 2^22: adding it to the bits of 1.5 * 2^23 and subtracting 1.5 *
  // 2^23 as a float converts it exactly at full rate (I2F runs at a
  // quarter).
  Value magicBits = e.c32(0x4B400000);
  Value magic = e.f32(12582912.0);
  auto toF32 = [&](Value v) -> Value {
    return arith::SubFOp::create(b, loc, e.bitcast(f32, e.add(v, magicBits)), magic);
  };
  // The mma of row tile r's A fragment against every batch tile's B
  // fragment, into sum[(r * NB + nt) * 4 ..].
  auto mmaRowTile = [&](ArrayRef<Value> a, int64_t r, function_ref<SmallVector<Value>(int64_t)> bFrag,
                        SmallVector<Value> &sum) {
    for (int64_t nt = 0; nt < NB; ++nt) {
      int64_t at = (r * NB + nt) * 4;
      SmallVector<Value> cc(sum.begin() + at, sum.begin() + at + 4);
      cc = int8 ? mmaS8(e, a, bFrag(nt), cc) : mmaF16(e, a, bFrag(nt), cc);
      std::copy(cc.begin(), cc.end(), sum.begin() + at);
    }
  };
  // acc: RT * NB * 4 values, f32 (grouped codes, and W4A16) or i32 (W4A8
  // per-channel).
  auto computeUnit = [&](ArrayRef<Value> d, Value unit, SmallVector<Value> acc) {
    // Grouped codes: a unit's sums start from zero and are scaled once.
    // Per-channel sums run over the warp's K in one chain (W4A8: exact in
    // int32; W4A16: f32, relative error up to ~3e-6 with one K warp on
    // K = 11008, where a separate unit sum cost 1.4-1.8x at batch 128 on
    // H200 in registers).
    SmallVector<Value> part(RT * NB * 4, int8 ? zeroI : zeroF);
    SmallVector<Value> &sum = grouped && !f16Scales ? part : acc;
    SmallVector<W4ToF16::Offsets> offsets;
    SmallVector<std::array<Value, 2>> rowScales; // f16Scales: (row g, row g + 8), broadcast
    if (!int8)
      for (int64_t r = 0; r < RT; ++r) {
        offsets.push_back(dequant->offsets(symmetric ? Value() : d[zerosAt + r]));
        if (f16Scales)
          rowScales.push_back(broadcastRowPair(e, d[scalesAt + r]));
      }
    for (int64_t i = 0; i < UC; ++i) {
      // W4A16 without prefetch loads each half of the chunk's activations
      // just before its two k-tiles (fewer live registers).
      SmallVector<Value> x = tiling.prefetch
                                 ? SmallVector<Value>(d.slice(xAt + i * NB * xVecs, NB * xVecs))
                             : int8 ? loadActivations(unit, i)
                                    : SmallVector<Value>();
      if (int8) {
        // Two k32 tiles per chunk; nibbles become int8 registers of 16 (q - 8)
        // with one shift and one AND each.
        for (int64_t j = 0; j < 2; ++j)
          for (int64_t r = 0; r < RT; ++r) {
            SmallVector<Value> a;
            for (int64_t h = 0; h < 2; ++h) {
              Value w = e.extract(d[r * UC + i], 2 * j + h);
              Value shifted = arith::ShLIOp::create(b, loc, w, e.c32(4));
              a.push_back(e.band(shifted, (int64_t)0xF0F0F0F0)); // row g
              a.push_back(e.band(w, (int64_t)0xF0F0F0F0));       // row g + 8
            }
            mmaRowTile(a, r, [&](int64_t nt) -> SmallVector<Value> {
              return {e.extract(x[nt], 2 * j), e.extract(x[nt], 2 * j + 1)};
            }, sum);
          }
      } else {
        // Four k16 tiles per chunk; k-tile j's B fragment is two f16x2
        // words of the lane's 16 halves.
        SmallVector<Value> half; // the vector of batch tile nt of this half
        for (int64_t j = 0; j < 4; ++j) {
          if (j % 2 == 0) {
            half.clear();
            if (tiling.prefetch)
              for (int64_t nt = 0; nt < NB; ++nt)
                half.push_back(x[nt * 2 + j / 2]);
            else
              half = loadActivations(unit, i, j / 2, 1);
          }
          for (int64_t r = 0; r < RT; ++r) {
            SmallVector<Value> a =
                dequant->fragment(e.extract(d[r * UC + i], j), offsets[r]);
            if (f16Scales)
              for (int64_t q = 0; q < 4; ++q)
                a[q] = arith::MulFOp::create(b, loc, a[q], rowScales[r][q % 2]);
            mmaRowTile(a, r, [&](int64_t nt) {
              return f16BFragment(e, half[nt], j);
            }, sum);
          }
        }
      }
    }
    if (grouped && !f16Scales)
      for (int64_t r = 0; r < RT; ++r) {
        auto [sG, sG8] = rowPairToF32(e, d[scalesAt + r]);
        for (int64_t i = r * NB * 4; i < (r + 1) * NB * 4; ++i)
          acc[i] = e.fma(i % 4 < 2 ? sG : sG8, int8 ? toF32(part[i]) : part[i], acc[i]);
      }
    return acc;
  };

  // Units kw, kw + KW, ...: U per iteration, the next iteration's weights
  // loaded before this one's math.
  const int64_t U = std::max<int64_t>(1, tiling.unroll / UC);
  Value count = stridedCount(e, kw, KW, CU);
  Value mainIters = arith::DivUIOp::create(b, loc, count, e.c32(U));
  auto unitOf = [&](Value iter, int64_t u) { return stridedItem(e, kw, KW, CU, U, iter, u); };
  auto loadSet = [&](Value iter) {
    SmallVector<Value> v;
    for (int64_t u = 0; u < U; ++u)
      llvm::append_range(v, loadWeights(unitOf(iter, u)));
    return v;
  };
  const int64_t numAcc = RT * NB * 4;
  const bool intAcc = int8 && !grouped;
  SmallVector<Value> init(numAcc, intAcc ? zeroI : zeroF);
  SmallVector<Value> mainResults = prefetchLoop(
      e, mainIters, init, loadSet, [&](ValueRange cur, Value iter, SmallVector<Value> acc) {
        for (int64_t u = 0; u < U; ++u)
          acc = computeUnit(SmallVector<Value>(cur.slice(u * perUnit, perUnit)), unitOf(iter, u),
                            acc);
        return acc;
      });
  SmallVector<Value> acc = accumulateLoop(
      e, e.toIndex(e.mul(mainIters, e.c32(U))), e.toIndex(count), e.idx(1), mainResults,
      [&](Value i, SmallVector<Value> acc) {
        Value unit = e.add(kw, e.mul(i, e.c32(KW)));
        return computeUnit(loadWeights(unit), unit, std::move(acc));
      });
  if (intAcc)
    for (Value &v : acc)
      v = arith::SIToFPOp::create(b, loc, f32, v);

  // Partial sums to shared memory ([rw][kw][r][nt][lane][4]), then thread s
  // sums output s over the kWarps warps: consecutive threads, consecutive
  // rows of y.
  Value smem = k.workgroup();
  auto v4f32 = VectorType::get({4}, f32);
  for (int64_t rn = 0; rn < RT * NB; ++rn) {
    Value slot = e.add(e.mul(e.add(e.mul(e.add(e.mul(rw, e.c32(KW)), kw), e.c32(RT * NB)), e.c32(rn)),
                             e.c32(32)),
                       lane);
    Value vec = vector::FromElementsOp::create(b, loc, v4f32, ArrayRef<Value>(acc).slice(rn * 4, 4));
    vector::StoreOp::create(b, loc, vec, smem, ValueRange{e.toIndex(e.mul(slot, e.c32(4)))});
  }
  gpu::BarrierOp::create(b, loc);
  Value qScales = int8 ? e.gep(xg, b.getI8Type(), e.c32(w4a8->qScalesOffset)) : Value();
  auto outLoop = scf::ForOp::create(b, loc, e.toIndex(tid), e.idx(RW * RT * 16 * BM), e.idx(threads));
  OpBuilder::InsertionGuard g2(b);
  b.setInsertionPointToStart(outLoop.getBody());
  Value s = e.toI32(outLoop.getInductionVar());
  Value r = e.band(s, 15), rest = e.shr(s, 4);
  Value ml = arith::RemUIOp::create(b, loc, rest, e.c32(BM));
  Value rt = arith::DivUIOp::create(b, loc, rest, e.c32(BM)); // rw * RT + r
  Value orw = arith::DivUIOp::create(b, loc, rt, e.c32(RT));
  Value ort = arith::RemUIOp::create(b, loc, rt, e.c32(RT));
  Value m = e.add(batchBase, ml);
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, e.c32(plan.batch));
  auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  // Output (row r, batch column ml) of the warp's row tile ort.
  AccumulatorSlot src = accumulatorSlot(e, r, ml);
  Value nt = e.shr(ml, 3);
  Value sum = zeroF;
  for (int64_t w = 0; w < KW; ++w) {
    Value wr = e.add(e.mul(e.add(e.mul(orw, e.c32(KW)), e.c32(w)), e.c32(RT)), ort);
    Value slot = e.add(e.mul(e.add(e.mul(wr, e.c32(NB)), nt), e.c32(32)), src.lane);
    Value v = memref::LoadOp::create(b, loc, smem,
                                     ValueRange{e.toIndex(e.add(e.mul(slot, e.c32(4)), src.reg))});
    sum = arith::AddFOp::create(b, loc, sum, v);
  }
  Value otile = e.add(e.mul(rowBlock, e.c32(RW * RT)), rt);
  if (!grouped)
    sum = scaleByChannel(e, sum, scalesBase, otile, r);
  if (int8) {
    // Codes were 16 (q - 8): the 1/16 is exact.
    Value xs = e.load(f32, e.gep(qScales, f32, m), 4);
    sum = arith::MulFOp::create(b, loc, sum, arith::MulFOp::create(b, loc, xs, e.f32(1.0 / 16)));
  }
  Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(e.mul(otile, e.c32(16)), r));
  LLVM::StoreOp::create(b, loc, sum, e.gep(yg, f32, at), 4);
  return k.finish();
}

} // namespace

gpu::GPUFuncOp buildW4A8GemmKernel(gpu::GPUModuleOp kernels, Location loc,
                                   const KernelPlan &plan, const W4A8Plan &w4a8) {
  return buildGemm(kernels, loc, plan, w4a8, w4a8.blob, &w4a8, nullptr);
}

gpu::GPUFuncOp buildW4GemmKernel(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                                 const W4GemmPlan &w4) {
  return buildGemm(kernels, loc, plan, w4, w4.blob, nullptr, &w4);
}

} // namespace mlir::lq::nvptx
