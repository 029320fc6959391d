//===- W4A8.cpp - the W4A8 kernels: int8 activations, int8 mma.sync ------===//
//
// lq.matmul act(8) with symmetric 4-bit codes, one family of two kernels:
// buildActQuantKernel quantizes each activation row to int8 into a scratch
// buffer, then buildW4A8GemmKernel expands the int4 weights to int8 in
// registers and runs mma.sync.m16n8k32 (s8 x s8 -> s32) against them. On
// sm_90+ the GEMM may be launched while the quantization still runs
// (programmatic dependent launch, griddepcontrol).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "KernelBuilder.h"
#include "MmaHelpers.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

/// Per-token int8 quantization of the activations (lq.matmul act(8)), one
/// block per row: `q[m, k] = clamp(roundeven(x[m, k] / s_m), -127, 127)`,
/// `s_m = max_k |x[m, k]| / 127` (1 for an all-zero row), in f32 exactly as
/// lq-expand's reference computes it. Writes int8 codes `[M, K]` at offset 0
/// of the scratch buffer and the f32 scales at `w4a8.qScalesOffset`.
gpu::GPUFuncOp buildActQuantKernel(gpu::GPUModuleOp kernels, Location loc,
                                   const KernelPlan &plan, const W4A8Plan &w4a8) {
  MLIRContext *ctx = kernels.getContext();
  const int64_t T = w4a8.quantThreads, warps = T / 32;
  auto smemType = workgroupBuffer(ctx, warps, Float32Type::get(ctx));
  // The GEMM may be scheduled as soon as every block of this kernel runs.
  std::optional<NVVM::GridDepActionKind> dependency;
  if (w4a8.dependentLaunch)
    dependency = NVVM::GridDepActionKind::launch_dependents;
  KernelScaffold k =
      beginKernel(kernels, loc, w4a8.quantName, 2, plan.batch, T, {smemType}, 0, dependency);
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value xg = k.args[0];
  Value qg = k.args[1];
  Value tid = e.threadId();
  Value row = e.blockId();
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  const int64_t perVec = plan.f32Input ? 4 : 8; // elements per 128-bit load
  const int64_t nvec = plan.cols / perVec, nv = (nvec + T - 1) / T;
  VectorType v4i32 = e.v4i32();
  // All of the thread's loads first (clamped duplicates do not change the
  // maximum), so the row is read with one memory latency.
  SmallVector<SmallVector<Value>> vals;
  SmallVector<Value> vecIndex;
  Value absMax = e.f32(0.0);
  for (int64_t v = 0; v < nv; ++v) {
    Value vi = e.add(tid, e.c32(v * T));
    vecIndex.push_back(vi);
    Value vc = arith::MinUIOp::create(b, loc, vi, e.c32(nvec - 1));
    Value raw = e.load(v4i32, e.gep(xg, v4i32, e.add(e.mul(row, e.c32(nvec)), vc)), 16);
    SmallVector<Value> elems;
    if (plan.f32Input) {
      Value f = e.bitcast(VectorType::get({4}, f32), raw);
      for (int64_t i = 0; i < 4; ++i)
        elems.push_back(e.extract(f, i));
    } else {
      Value h = e.bitcast(VectorType::get({8}, b.getF16Type()), raw);
      Value f = arith::ExtFOp::create(b, loc, VectorType::get({8}, f32), h);
      for (int64_t i = 0; i < 8; ++i)
        elems.push_back(e.extract(f, i));
    }
    // |x| by clearing the sign bit (convert-gpu-to-nvvm takes no llvm.fabs).
    for (Value x : elems) {
      Value bits = e.band(e.bitcast(b.getI32Type(), x), 0x7FFFFFFF);
      absMax = arith::MaximumFOp::create(b, loc, absMax, e.bitcast(f32, bits));
    }
    vals.push_back(elems);
  }
  for (int64_t off = 16; off >= 1; off /= 2) {
    Value other = gpu::ShuffleOp::create(b, loc, absMax, e.c32(off), e.c32(32),
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    absMax = arith::MaximumFOp::create(b, loc, absMax, other);
  }
  Value smem = k.workgroup();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, e.c32(0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    memref::StoreOp::create(b, loc, absMax, smem, ValueRange{e.toIndex(warp)});
  }
  gpu::BarrierOp::create(b, loc);
  absMax = e.f32(0.0);
  for (int64_t w = 0; w < warps; ++w)
    absMax = arith::MaximumFOp::create(b, loc, absMax,
                                       memref::LoadOp::create(b, loc, smem, ValueRange{e.idx(w)}));
  Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, absMax, e.f32(0.0));
  Value scale = arith::SelectOp::create(
      b, loc, isZero, e.f32(1.0), arith::DivFOp::create(b, loc, absMax, e.f32(127.0)));
  Type store = plan.f32Input ? b.getI32Type() : b.getI64Type();
  for (int64_t v = 0; v < nv; ++v) {
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, vecIndex[v], e.c32(nvec));
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> codes;
    for (Value x : vals[v]) {
      // Clamping first leaves the result unchanged, and then adding and
      // subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even,
      // exactly (roundeven without a libdevice call).
      Value q = arith::DivFOp::create(b, loc, x, scale);
      q = arith::MaximumFOp::create(b, loc, q, e.f32(-127.0));
      q = arith::MinimumFOp::create(b, loc, q, e.f32(127.0));
      q = arith::AddFOp::create(b, loc, q, e.f32(12582912.0));
      q = arith::SubFOp::create(b, loc, q, e.f32(12582912.0));
      codes.push_back(arith::FPToSIOp::create(b, loc, i8, q));
    }
    Value packed = e.bitcast(store, vector::FromElementsOp::create(
                                        b, loc, VectorType::get({perVec}, i8), codes));
    Value at = e.add(e.mul(row, e.c32(nvec)), vecIndex[v]);
    LLVM::StoreOp::create(b, loc, packed, e.gep(qg, store, at), perVec);
  }
  {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, e.c32(0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value scales = e.gep(qg, b.getI8Type(), e.c32(w4a8.qScalesOffset));
    LLVM::StoreOp::create(b, loc, scale, e.gep(scales, f32, row), 4);
  }
  return k.finish();
}

/// The W4A8 GEMM: int8 activations (from buildActQuantKernel) times symmetric
/// 4-bit weights on mma.sync.m16n8k32 (s8 x s8 -> s32). A block has
/// rowWarps x kWarps warps: warp (rw, kw) owns row tile rowBlock * rowWarps
/// + rw and chunks kw, kw + kWarps, ...; the rowWarps warps that share
/// chunks read the same activations at about the same time (L1 hits). Each
/// block covers nTiles batch tiles of 8 rows; batch blocks of one row block
/// are neighbours in the grid, so the weight they all read comes from L2
/// after the first. Nibbles become int8 registers of 16 (q - 8) with one
/// shift and one AND each; products are summed exactly in int32, converted
/// and scaled per chunk (groups) or once (per-channel), then multiplied by
/// the token scale and 1/16.
gpu::GPUFuncOp buildW4A8GemmKernel(gpu::GPUModuleOp kernels, Location loc,
                                   const KernelPlan &plan, const W4A8Plan &w4a8) {
  MLIRContext *ctx = kernels.getContext();
  const int64_t RW = w4a8.rowWarps, KW = w4a8.kWarps, NB = w4a8.nTiles, C = w4a8.chunks;
  const int64_t BB = w4a8.batchBlocks, threads = plan.threads, BM = 8 * NB, RT = w4a8.warpTiles;
  const bool grouped = plan.groups > 1;
  auto smemType = workgroupBuffer(ctx, RW * KW * RT * NB * 32 * 4, Float32Type::get(ctx));
  // Launched while the quantization kernel may still run: nothing is read
  // or written before it has completed.
  std::optional<NVVM::GridDepActionKind> dependency;
  if (w4a8.dependentLaunch)
    dependency = NVVM::GridDepActionKind::wait;
  KernelScaffold k = beginKernel(kernels, loc, plan.kernelName, 3, plan.grid, threads,
                                 {smemType}, plan.minBlocks, dependency);
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value qg = k.args[0];
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
  // never stored), in units of 16 bytes.
  SmallVector<Value> xRowBase;
  for (int64_t nt = 0; nt < NB; ++nt) {
    Value r = e.add(batchBase, e.add(g, e.c32(nt * 8)));
    xRowBase.push_back(activationSlices(e, r, plan.batch, plan.cols, t));
  }
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(w4a8.blob.codesOffset));
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(w4a8.blob.scalesOffset));
  SmallVector<Value> codesLane, paramLane;
  for (int64_t r = 0; r < RT; ++r) {
    Value tile = e.add(tile0, e.c32(r));
    codesLane.push_back(e.add(e.mul(tile, e.c32(C * 32)), lane));
    paramLane.push_back(e.add(e.mul(tile, e.c32(plan.groups * 8)), g));
  }
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;

  // A unit is UC consecutive chunks: one whole group (up to 256 columns) for
  // grouped codes, so its int32 sums are converted and scaled once; one
  // chunk per-channel (the int32 sums run over all of K).
  const int64_t UC = grouped && chunksPerGroup <= 4 ? chunksPerGroup : 1;
  const int64_t CU = C / UC;
  // Activation fragments of chunk i of a unit, one per batch tile.
  auto loadActivations = [&](Value unit, int64_t i) {
    Value c = e.add(e.mul(unit, e.c32(UC)), e.c32(i));
    SmallVector<Value> x;
    for (int64_t nt = 0; nt < NB; ++nt)
      x.push_back(e.load(v4i32, e.gep(qg, v4i32, e.add(xRowBase[nt], e.mul(c, e.c32(4)))), 16));
    return x;
  };
  // Weights of a unit: one 128-bit word per lane and chunk, plus the group's
  // scale pair (rows g, g + 8).
  auto loadWeights = [&](Value unit) {
    SmallVector<Value> d; // codes [r][i], then scales [r]
    for (int64_t r = 0; r < RT; ++r)
      for (int64_t i = 0; i < UC; ++i) {
        Value c = e.add(e.mul(unit, e.c32(UC)), e.c32(i));
        d.push_back(
            e.load(v4i32, e.gep(codesBase, v4i32, e.add(codesLane[r], e.mul(c, e.c32(32)))), 16));
      }
    if (grouped) {
      Value group = chunksPerGroup == UC
                        ? unit
                        : arith::DivUIOp::create(b, loc, unit, e.c32(chunksPerGroup)).getResult();
      for (int64_t r = 0; r < RT; ++r)
        d.push_back(
            e.load(i32, e.gep(scalesBase, i32, e.add(paramLane[r], e.mul(group, e.c32(8)))), 4));
    }
    // With `prefetch`, the unit's activations travel with its weights (one
    // iteration ahead), else they are loaded just before use.
    if (w4a8.prefetch)
      for (int64_t i = 0; i < UC; ++i)
        llvm::append_range(d, loadActivations(unit, i));
    return d;
  };
  const int64_t xAt = RT * UC + (grouped ? RT : 0);
  const int64_t perUnit = xAt + (w4a8.prefetch ? UC * NB : 0);
  Value zeroI = e.c32(0), zeroF = e.f32(0.0);
  // |sum| over a unit (at most 256 columns) is below 16 * 8 * 127 * 256 <
  // 2^22: adding it to the bits of 1.5 * 2^23 and subtracting 1.5 * 2^23 as
  // a float converts it exactly at full rate (I2F runs at a quarter).
  Value magicBits = e.c32(0x4B400000);
  Value magic = e.f32(12582912.0);
  auto toF32 = [&](Value v) -> Value {
    return arith::SubFOp::create(b, loc, e.bitcast(f32, e.add(v, magicBits)), magic);
  };
  // acc: NB * 4 values, f32 (grouped) or i32 (per-channel).
  auto computeUnit = [&](ArrayRef<Value> d, Value unit, SmallVector<Value> acc) {
    SmallVector<Value> part(RT * NB * 4, zeroI);
    SmallVector<Value> &sum = grouped ? part : acc;
    for (int64_t i = 0; i < UC; ++i) {
      SmallVector<Value> x = w4a8.prefetch ? SmallVector<Value>(d.slice(xAt + i * NB, NB))
                                           : loadActivations(unit, i);
      for (int64_t j = 0; j < 2; ++j)
        for (int64_t r = 0; r < RT; ++r) {
          SmallVector<Value> a;
          for (int64_t h = 0; h < 2; ++h) {
            Value w = e.extract(d[r * UC + i], 2 * j + h);
            Value shifted = arith::ShLIOp::create(b, loc, w, e.c32(4));
            a.push_back(e.band(shifted, (int64_t)0xF0F0F0F0)); // row g
            a.push_back(e.band(w, (int64_t)0xF0F0F0F0));       // row g + 8
          }
          for (int64_t nt = 0; nt < NB; ++nt) {
            SmallVector<Value> bFrag = {e.extract(x[nt], 2 * j), e.extract(x[nt], 2 * j + 1)};
            int64_t at = (r * NB + nt) * 4;
            SmallVector<Value> cc(sum.begin() + at, sum.begin() + at + 4);
            cc = mmaS8(e, a, bFrag, cc);
            std::copy(cc.begin(), cc.end(), sum.begin() + at);
          }
        }
    }
    if (grouped)
      for (int64_t r = 0; r < RT; ++r) {
        auto [sG, sG8] = rowPairToF32(e, d[RT * UC + r]);
        for (int64_t i = r * NB * 4; i < (r + 1) * NB * 4; ++i)
          acc[i] = e.fma(i % 4 < 2 ? sG : sG8, toF32(part[i]), acc[i]);
      }
    return acc;
  };

  // Units kw, kw + KW, ...: U per iteration, the next iteration's weights
  // loaded before this one's math.
  const int64_t U = std::max<int64_t>(1, w4a8.unroll / UC);
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
  SmallVector<Value> init(numAcc, grouped ? zeroF : zeroI);
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
  if (!grouped)
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
  Value qScales = e.gep(qg, b.getI8Type(), e.c32(w4a8.qScalesOffset));
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
  // Codes were 16 (q - 8): the 1/16 is exact.
  Value xs = e.load(f32, e.gep(qScales, f32, m), 4);
  sum = arith::MulFOp::create(b, loc, sum, arith::MulFOp::create(b, loc, xs, e.f32(1.0 / 16)));
  Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(e.mul(otile, e.c32(16)), r));
  LLVM::StoreOp::create(b, loc, sum, e.gep(yg, f32, at), 4);
  return k.finish();
}

} // namespace mlir::lq::nvptx
