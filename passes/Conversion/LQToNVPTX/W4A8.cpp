//===- W4A8.cpp ---===//
#include "Kernels.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

/// Per-token int8 quantization of the activations (lq.matmul act(8)), one
/// block per row: `q[m, k] = clamp(roundeven(x[m, k] / s_m), -127, 127)`,
/// `s_m = max_k |x[m, k]| / 127` (1 for an all-zero row), in f32 exactly as
/// lq-expand's reference computes it. Writes int8 codes `[M, K]` at offset 0
/// of the scratch buffer and the f32 scales at `plan.qScalesOffset`.
gpu::GPUFuncOp buildActQuantKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                                   const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  const int64_t T = plan.quantThreads, warps = T / 32;
  auto smemType = MemRefType::get({warps}, outer.getF32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  auto func = makeKernelFunc(kernels, loc, plan.quantName, 2, plan.batch, T, {smemType});
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  KernelOpBuilder e(loc, b);
  // The GEMM may be scheduled as soon as every block of this kernel runs.
  if (plan.dependentLaunch)
    NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::launch_dependents);
  Value xg = e.global(func.getArgument(0));
  Value qg = e.global(func.getArgument(1));
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
  Value smem = func.getWorkgroupAttributions().front();
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
    Value scales = e.gep(qg, b.getI8Type(), e.c32(plan.qScalesOffset));
    LLVM::StoreOp::create(b, loc, scale, e.gep(scales, f32, row), 4);
  }
  return finishKernel(b, loc, func);
}

/// W4A8 GEMM: int8 activations (from buildActQuantKernel) times symmetric
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
gpu::GPUFuncOp buildW4A8Kernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                               const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  const int64_t RW = plan.rowWarps, KW = plan.kWarps, NB = plan.nTiles, C = plan.chunks;
  const int64_t BB = plan.batchBlocks, threads = plan.threads, BM = 8 * NB, RT = plan.warpTiles;
  const bool grouped = plan.groups > 1;
  auto smemType = MemRefType::get({RW * KW * RT * NB * 32 * 4}, outer.getF32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  auto func = makeKernelFunc(kernels, loc, plan.kernelName, 3, plan.grid, threads, {smemType},
                             plan.minBlocks);
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  KernelOpBuilder e(loc, b);
  // Launched while the quantization kernel may still run: nothing is read
  // or written before it has completed.
  if (plan.dependentLaunch)
    NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
  Value qg = e.global(func.getArgument(0));
  Value wg = e.global(func.getArgument(1));
  Value yg = e.global(func.getArgument(2));
  Type f32 = b.getF32Type(), i32 = e.i32();
  VectorType v4i32 = e.v4i32(), v2f16 = e.v2f16();
  auto v2f32 = VectorType::get({2}, f32);

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
    r = arith::MinUIOp::create(b, loc, r, e.c32(plan.batch - 1));
    xRowBase.push_back(e.add(e.mul(r, e.c32(plan.cols / 16)), t));
  }
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.codesOffset));
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.scalesOffset));
  SmallVector<Value> codesLane, paramLane;
  for (int64_t r = 0; r < RT; ++r) {
    Value tile = e.add(tile0, e.c32(r));
    codesLane.push_back(e.add(e.mul(tile, e.c32(C * 32)), lane));
    paramLane.push_back(e.add(e.mul(tile, e.c32(plan.groups * 8)), g));
  }
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;

  auto mmaType = LLVM::LLVMStructType::getLiteral(ctx, {i32, i32, i32, i32});
  auto mma = [&](ArrayRef<Value> a, ArrayRef<Value> bFrag, ArrayRef<Value> c) {
    Value r = NVVM::MmaOp::create(
        b, loc, mmaType, a, bFrag, c, {16, 8, 32}, std::nullopt, NVVM::MMAIntOverflow::wrapped,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::s8, NVVM::MMATypes::s8},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{i}));
    return out;
  };

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
    if (plan.prefetch)
      for (int64_t i = 0; i < UC; ++i)
        llvm::append_range(d, loadActivations(unit, i));
    return d;
  };
  const int64_t xAt = RT * UC + (grouped ? RT : 0);
  const int64_t perUnit = xAt + (plan.prefetch ? UC * NB : 0);
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
      SmallVector<Value> x = plan.prefetch ? SmallVector<Value>(d.slice(xAt + i * NB, NB))
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
            cc = mma(a, bFrag, cc);
            std::copy(cc.begin(), cc.end(), sum.begin() + at);
          }
        }
    }
    if (grouped)
      for (int64_t r = 0; r < RT; ++r) {
        Value s = arith::ExtFOp::create(b, loc, v2f32, e.bitcast(v2f16, d[RT * UC + r]));
        Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
        for (int64_t i = r * NB * 4; i < (r + 1) * NB * 4; ++i)
          acc[i] = e.fma(i % 4 < 2 ? sG : sG8, toF32(part[i]), acc[i]);
      }
    return acc;
  };

  // Units kw, kw + KW, ...: U per iteration, the next iteration's weights
  // loaded before this one's math.
  const int64_t U = std::max<int64_t>(1, plan.unroll / UC);
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
  Value smem = func.getWorkgroupAttributions().front();
  auto v4f32 = VectorType::get({4}, f32);
  for (int64_t rn = 0; rn < RT * NB; ++rn) {
    Value slot = e.add(e.mul(e.add(e.mul(e.add(e.mul(rw, e.c32(KW)), kw), e.c32(RT * NB)), e.c32(rn)),
                             e.c32(32)),
                       lane);
    Value vec = vector::FromElementsOp::create(b, loc, v4f32, ArrayRef<Value>(acc).slice(rn * 4, 4));
    vector::StoreOp::create(b, loc, vec, smem, ValueRange{e.toIndex(e.mul(slot, e.c32(4)))});
  }
  gpu::BarrierOp::create(b, loc);
  Value qScales = e.gep(qg, b.getI8Type(), e.c32(plan.qScalesOffset));
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
  // Output (row r, batch column ml) sits in lane (r % 8) * 4 + (ml % 8) / 2,
  // accumulator (r / 8) * 2 + ml % 2 of batch tile ml / 8.
  Value srcLane = e.add(e.mul(e.band(r, 7), e.c32(4)), e.shr(e.band(ml, 7), 1));
  Value reg = e.add(e.mul(e.shr(r, 3), e.c32(2)), e.band(ml, 1));
  Value nt = e.shr(ml, 3);
  Value sum = zeroF;
  for (int64_t w = 0; w < KW; ++w) {
    Value wr = e.add(e.mul(e.add(e.mul(orw, e.c32(KW)), e.c32(w)), e.c32(RT)), ort);
    Value slot = e.add(e.mul(e.add(e.mul(wr, e.c32(NB)), nt), e.c32(32)), srcLane);
    Value v = memref::LoadOp::create(b, loc, smem,
                                     ValueRange{e.toIndex(e.add(e.mul(slot, e.c32(4)), reg))});
    sum = arith::AddFOp::create(b, loc, sum, v);
  }
  Value otile = e.add(e.mul(rowBlock, e.c32(RW * RT)), rt);
  if (!grouped) {
    Value at = e.add(e.mul(otile, e.c32(16)), e.add(e.mul(e.band(r, 7), e.c32(2)), e.shr(r, 3)));
    Value ws = e.load(b.getF16Type(), e.gep(scalesBase, b.getF16Type(), at), 2);
    sum = arith::MulFOp::create(b, loc, sum, arith::ExtFOp::create(b, loc, f32, ws));
  }
  // Codes were 16 (q - 8): the 1/16 is exact.
  Value xs = e.load(f32, e.gep(qScales, f32, m), 4);
  sum = arith::MulFOp::create(b, loc, sum, arith::MulFOp::create(b, loc, xs, e.f32(1.0 / 16)));
  Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(e.mul(otile, e.c32(16)), r));
  LLVM::StoreOp::create(b, loc, sum, e.gep(yg, f32, at), 4);
  return finishKernel(b, loc, func);
}

} // namespace mlir::lq::nvptx
