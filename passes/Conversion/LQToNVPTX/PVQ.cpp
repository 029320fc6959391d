//===- PVQ.cpp - the PVQ GEMV kernel: decoding in registers ---------------===//
//
// Pyramid vector quantization codes (#lq.pvq): each group of D weights is
// an index into the vectors of D integers with |y|_1 = K (the codebook
// N(D, K)), scaled by amp / ||y||. The kernel runs on the CUDA cores: it
// decodes every index in registers with a branch-free binary search of the
// block-start table (in shared memory), and takes the dot products in f32.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"
#include "Kernels.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

/// PVQ GEMV: one warp per output row. A lane loads 4 (32-bit slots) or 8
/// (16-bit) group indices with one 128-bit access, decodes each
/// (docs/GPULayout.md) with the block-start table in shared memory, and
/// accumulates x . y in f32 for every batch row; the group's amp / ||y||
/// scales that dot product once. Warps reduce with shuffles.
gpu::GPUFuncOp buildPVQGemvKernel(gpu::GPUModuleOp kernels, Location loc, const KernelPlan &plan,
                                  const PVQGemvPlan &pvq) {
  MLIRContext *ctx = kernels.getContext();
  const ::lq::PVQEncoding &enc = pvq.enc;
  const ::lq::gpu::PVQBlob &blob = pvq.blob;
  const int64_t D = enc.dim, P = enc.pulses, M = plan.batch, threads = plan.threads;
  const int64_t groups = plan.cols / D, ampGroups = plan.cols / enc.ampGroup;
  const int64_t perLoad = 128 / blob.slotBits, loads = groups / perLoad;
  auto smemType =
      workgroupBuffer(ctx, blob.tableWords + blob.sqrtWords, IntegerType::get(ctx, 32));
  KernelScaffold k =
      beginKernel(kernels, loc, plan.kernelName, 3, plan.grid, threads, {smemType});
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value xg = k.args[0];
  Value wg = k.args[1];
  Value yg = k.args[2];
  Type f32 = b.getF32Type(), i32 = e.i32(), i8 = b.getI8Type();
  VectorType v4i32 = e.v4i32();
  Value tid = e.threadId();
  Value bid = e.blockId();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  Value row = e.add(e.mul(bid, e.c32(threads / 32)), warp);

  // The table to shared memory.
  Value table = k.workgroup();
  Value tableBase = e.gep(wg, i8, e.c32(blob.tableOffset));
  {
    // N(d, k), then the norms (f32 bits).
    auto copy = scf::ForOp::create(b, loc, e.toIndex(tid),
                                   e.idx(blob.tableWords + blob.sqrtWords), e.idx(threads));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(copy.getBody());
    Value i = copy.getInductionVar();
    memref::StoreOp::create(b, loc, e.load(i32, e.gep(tableBase, i32, e.toI32(i)), 4), table,
                            ValueRange{i});
  }
  gpu::BarrierOp::create(b, loc);
  auto lookup = [&](Value at) {
    return memref::LoadOp::create(b, loc, table, ValueRange{e.toIndex(at)}).getResult();
  };
  Value codesRow = e.mul(row, e.c32(loads));
  Value codesBase = e.gep(wg, i8, e.c32(blob.codesOffset));
  Value ampsRow = e.gep(e.gep(wg, i8, e.c32(blob.ampsOffset)), i8, e.mul(row, e.c32(ampGroups)));
  Value step = e.load(f32, e.gep(e.gep(wg, i8, e.c32(blob.stepsOffset)), f32, row), 4);
  const int64_t xVecs = plan.f32Input ? D / 4 : D / 8; // 128-bit loads per group and batch row
  auto ult = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y).getResult();
  };
  auto select = [&](Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y).getResult();
  };

  // One group: decode y, then acc[m] += (amp / ||y||) * sum_i x[m, i] y_i.
  auto decodeGroup = [&](Value index, Value gi, SmallVector<Value> acc) {
    Value k = e.c32(P);
    SmallVector<Value> ys;
    Value sumSq = e.c32(0);
    for (int64_t i = 0; i < D; ++i) {
      int64_t rest = D - 1 - i;
      Value y;
      if (rest == 0) {
        // The last position takes the remaining pulses: +k (index 0) or -k.
        Value neg = arith::SubIOp::create(b, loc, e.c32(0), k);
        y = select(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index, e.c32(0)), k, neg);
      } else if (rest == 1) {
        // Two positions left, in closed form: y_i = 0 takes indices 0 and 1
        // (y_last = +-k), then each m < k a +m pair and a -m pair of
        // indices, and m = k one index each.
        Value isZero = ult(index, e.c32(2));
        Value t = arith::SubIOp::create(b, loc, index, e.c32(2));
        Value m = arith::MinUIOp::create(b, loc, e.add(e.shr(t, 2), e.c32(1)), k);
        Value rem = e.band(t, 3);
        Value atK = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, m, k);
        Value neg = select(atK, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, e.c32(0)),
                           arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rem, e.c32(2)));
        y = select(isZero, e.c32(0), select(neg, arith::SubIOp::create(b, loc, e.c32(0), m), m));
        index = select(isZero, index, select(atK, e.c32(0), e.band(rem, 1)));
      } else {
        // y_i's magnitude m: the last block start <= index, by a binary
        // search of the row (rest, k) with a fixed trip count, so the lanes
        // of a warp do not diverge. The first probe makes the rest powers of
        // two (no clamping); the probes bracket m, so the last ones to
        // succeed and to fail read the pair's start and end.
        Value rowBase = e.mul(e.add(e.c32((rest - 1) * (P + 1)), k), e.c32(P + 2));
        const int64_t n = P + 2, top = (int64_t)llvm::bit_floor(uint64_t(n));
        Value m = e.c32(0), begin = e.c32(0), end = e.c32(-1);
        auto probe = [&](Value cand) {
          Value v = lookup(e.add(rowBase, cand));
          Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, v, index);
          m = select(fits, cand, m);
          begin = select(fits, v, begin);
          end = select(fits, end, v);
        };
        if (n > top)
          probe(e.c32(n - top));
        for (int64_t stride = top / 2; stride >= 1; stride /= 2)
          probe(e.add(m, e.c32(stride)));
        // An index outside the codebook must not spend more than k pulses.
        m = arith::MinUIOp::create(b, loc, m, k);
        Value half = e.shr(arith::SubIOp::create(b, loc, end, begin), 1);
        Value inPair = arith::SubIOp::create(b, loc, index, begin);
        // The pair's first half is +m, its second -m; m = 0 is one block.
        Value neg = arith::AndIOp::create(
            b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, m, e.c32(0)),
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, inPair, half));
        y = select(neg, arith::SubIOp::create(b, loc, e.c32(0), m), m);
        index = select(neg, arith::SubIOp::create(b, loc, inPair, half), inPair);
      }
      Value mag = arith::MaxSIOp::create(b, loc, y, arith::SubIOp::create(b, loc, e.c32(0), y));
      k = arith::SubIOp::create(b, loc, k, mag);
      sumSq = e.add(sumSq, e.mul(y, y));
      ys.push_back(arith::SIToFPOp::create(b, loc, f32, y));
    }
    // amp = (a + 1) * step, as the reference decoder computes it.
    Value ampGroup = arith::DivUIOp::create(b, loc, gi, e.c32(enc.ampGroup / D));
    Value code = arith::ExtUIOp::create(b, loc, i32, e.load(i8, e.gep(ampsRow, i8, ampGroup), 1));
    Value amp = arith::MulFOp::create(
        b, loc, arith::UIToFPOp::create(b, loc, f32, e.add(code, e.c32(1))), step);
    // sqrt((float) sumSq) from the blob's table: the reference decoder's
    // value, bit for bit.
    Value norm = arith::BitcastOp::create(
        b, loc, f32,
        memref::LoadOp::create(b, loc, table,
                               ValueRange{e.toIndex(e.add(sumSq, e.c32(blob.tableWords)))}));
    Value factor = arith::DivFOp::create(b, loc, amp, norm);
    for (int64_t mm = 0; mm < M; ++mm) {
      Value dot = e.f32(0.0);
      Value first = e.mul(e.add(e.mul(e.c32(mm), e.c32(groups)), gi), e.c32(xVecs));
      for (int64_t v = 0; v < xVecs; ++v) {
        Value raw = e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16);
        SmallVector<Value> xs;
        if (plan.f32Input) {
          Value f = e.bitcast(VectorType::get({4}, f32), raw);
          for (int64_t q = 0; q < 4; ++q)
            xs.push_back(e.extract(f, q));
        } else {
          Value f = arith::ExtFOp::create(b, loc, VectorType::get({8}, f32),
                                          e.bitcast(VectorType::get({8}, b.getF16Type()), raw));
          for (int64_t q = 0; q < 8; ++q)
            xs.push_back(e.extract(f, q));
        }
        for (auto [q, xv] : llvm::enumerate(xs))
          dot = e.fma(xv, ys[v * xs.size() + q], dot);
      }
      acc[mm] = e.fma(dot, factor, acc[mm]);
    }
    return acc;
  };

  SmallVector<Value> init(M, e.f32(0.0));
  SmallVector<Value> acc = accumulateLoop(
      e, e.toIndex(lane), e.idx(loads), e.idx(32), init, [&](Value it, SmallVector<Value> acc) {
        Value words = e.load(v4i32, e.gep(codesBase, v4i32, e.add(codesRow, it)), 16);
        // Slot u of the lane's word is group first + u * width + lane (the
        // words of a warp's pass interleave their groups), so the warp's
        // activation loads for one slot are contiguous.
        Value waveWord = arith::SubIOp::create(b, loc, it, lane);
        Value width = arith::MinUIOp::create(
            b, loc, arith::SubIOp::create(b, loc, e.c32(loads), waveWord), e.c32(32));
        Value first = e.add(e.mul(waveWord, e.c32(perLoad)), lane);
        for (int64_t u = 0; u < perLoad; ++u) {
          Value index = blob.slotBits == 32 ? e.extract(words, u)
                        : u % 2 == 0       ? e.band(e.extract(words, u / 2), 0xFFFF)
                                           : e.shr(e.extract(words, u / 2), 16);
          acc = decodeGroup(index, e.add(first, e.mul(width, e.c32(u))), acc);
        }
        return acc;
      });
  for (int64_t off = 16; off >= 1; off /= 2)
    for (Value &v : acc)
      v = arith::AddFOp::create(b, loc, v,
                                gpu::ShuffleOp::create(b, loc, v, e.c32(off), e.c32(32),
                                                       gpu::ShuffleMode::XOR)
                                    .getShuffleResult());
  // Lane m stores batch row m.
  for (int64_t mm = 0; mm < M; ++mm) {
    Value mine = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, e.c32(mm % 32));
    auto ifOp = scf::IfOp::create(b, loc, mine, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value at = e.add(e.mul(e.c32(mm), e.c32(plan.rows)), row);
    LLVM::StoreOp::create(b, loc, acc[mm], e.gep(yg, f32, at), 4);
  }
  return k.finish();
}

} // namespace mlir::lq::nvptx
