//===- GemvBinary.cpp - the binary-code GEMV kernel on mma.sync ----------===//
//
// GPTQT binary codes (w = sum_i alpha_i b_i + offset, b in {-1, +1}, per
// group) on the chunked mma GEMV of GemvMma.h. A chunk is a 256-column
// superchunk: P 128-bit sign-plane words per lane (4 sub-chunks of 64
// columns x P planes, plane-minor) and the parameters of the groups inside
// it. Each plane is an mma on +-1 f16 values; an mma with an all-ones A
// gives the activation sums the offset multiplies. Alphas and offsets scale
// the per-sub-chunk f32 partial sums. Activations are f16.
//
// From f16-weights-min-batch rows up (by default all) the planes are folded: each
// weight becomes the f16 value offset + sum_i (+-alpha_i) in registers and
// one mma per batch tile takes it, as an fp16 matmul's weights are rounded
// (relative error ~3e-4 against the decoded weights, not ~1e-7), with P + 1
// times fewer mmas and no per-plane partial sums.
//
//===----------------------------------------------------------------------===//
#include "GemvMma.h"
#include "Kernels.h"
#include "MmaHelpers.h"

using namespace mlir;

namespace mlir::lq::nvptx {

gpu::GPUFuncOp buildBinaryGemvKernel(gpu::GPUModuleOp kernels, Location loc,
                                     const KernelPlan &plan, const BinaryGemvPlan &binary) {
  GemvMma k(kernels, loc, plan, binary);
  OpBuilder &b = k.b;
  KernelOpBuilder &e = k.e;
  Value xg = k.xg, wg = k.wg, tile = k.tile, lane = k.lane, g = k.g;
  const int64_t NB = binary.batchTiles, C = binary.chunks, P = binary.planes;
  Type i32 = e.i32();
  VectorType v2f16 = e.v2f16(), v4i32 = e.v4i32();

  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(binary.blob.codesOffset));
  Value zeroAcc = e.f32(0.0);
  // Parameter sets per superchunk (one per group inside it, at least one).
  const int64_t paramSets = std::max<int64_t>(1, 256 / plan.group);
  Value codesLane = e.add(e.mul(tile, e.c32(C * P * 32)), lane);
  Value paramsBase = e.gep(wg, b.getI8Type(), e.c32(binary.blob.paramsOffset));
  // Word offset of the parameters of this lane's rows (g, g + 8): P + 1
  // words per row and group.
  Value paramLane = e.mul(e.add(e.mul(tile, e.c32(plan.groups * 8)), g), e.c32(P + 1));

  // A superchunk's words: its P sign-plane words (vector<4xi32>), then per
  // parameter set P alphas and the offset (i32 words holding the f16 pair
  // of rows g and g + 8).
  auto loadWeights = [&](Value c) {
    SmallVector<Value> words;
    for (int64_t m = 0; m < P; ++m) {
      Value at = e.add(codesLane, e.mul(e.add(e.mul(c, e.c32(P)), e.c32(m)), e.c32(32)));
      words.push_back(e.load(v4i32, e.gep(codesBase, v4i32, at), 16));
    }
    for (int64_t ps = 0; ps < paramSets; ++ps) {
      Value group = plan.group <= 256
                        ? e.add(e.mul(c, e.c32(paramSets)), e.c32(ps))
                        : arith::DivUIOp::create(b, loc, c, e.c32(plan.group / 256)).getResult();
      Value first = e.add(paramLane, e.mul(group, e.c32(8 * (P + 1))));
      for (int64_t q = 0; q <= P; ++q)
        words.push_back(e.load(i32, e.gep(paramsBase, i32, e.add(first, e.c32(q))), 4));
    }
    return words;
  };
  // 4 sub-chunks, each 2 vectors of the lane's 16 f16 activations.
  auto loadX = [&](Value c) {
    SmallVector<Value> x;
    for (int64_t bt = 0; bt < NB; ++bt)
      for (int64_t cc = 0; cc < 4; ++cc) {
        Value slice =
            e.add(k.xRowBase[bt], e.mul(e.add(e.mul(c, e.c32(4)), e.c32(cc)), e.c32(4)));
        Value first = e.mul(slice, e.c32(2));
        for (int64_t v = 0; v < 2; ++v)
          x.push_back(e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16));
      }
    return x;
  };

  // One shift and one LOP3 give the sign bits of two halves: bit 1 -> +1.0,
  // 0 -> -1.0.
  Value onesA = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), "1")));
  auto computeChunk = [&](ArrayRef<Value> words, ArrayRef<Value> x, SmallVector<Value> acc) {
    ArrayRef<Value> planes = words.take_front(P), params = words.drop_front(P);
    for (int64_t cc = 0; cc < 4; ++cc) {
      int64_t ps = cc * paramSets / 4;
      SmallVector<SmallVector<Value>> part(P + 1, SmallVector<Value>(NB * 4, zeroAcc));
      for (int64_t j = 0; j < 4; ++j) {
        SmallVector<SmallVector<Value>> a(P + 1);
        a[P] = {onesA, onesA, onesA, onesA};
        for (int64_t i = 0; i < P; ++i) {
          int64_t kk = cc * P + i;
          Value word = e.extract(planes[kk / 4], kk % 4);
          for (int64_t q = 0; q < 4; ++q) {
            Value shifted = 4 * j + q ? arith::ShLIOp::create(b, loc, word, e.c32(4 * j + q)).getResult()
                                      : word;
            Value bits = arith::XOrIOp::create(b, loc, e.band(shifted, (int64_t)0x80008000),
                                               e.c32((int64_t)0xBC00BC00));
            a[i].push_back(e.bitcast(v2f16, bits));
          }
        }
        for (int64_t bt = 0; bt < NB; ++bt) {
          SmallVector<Value> bFrag = f16BFragment(e, x[(bt * 4 + cc) * 2 + j / 2], j);
          for (int64_t i = 0; i <= P; ++i) {
            SmallVector<Value> c(part[i].begin() + bt * 4, part[i].begin() + bt * 4 + 4);
            c = mmaF16(e, a[i], bFrag, c);
            std::copy(c.begin(), c.end(), part[i].begin() + bt * 4);
          }
        }
      }
      for (int64_t i = 0; i <= P; ++i) {
        auto [sG, sG8] = rowPairToF32(e, params[ps * (P + 1) + i]);
        for (int64_t bt = 0; bt < NB; ++bt)
          for (int64_t r = 0; r < 4; ++r)
            acc[bt * 4 + r] = e.fma(r < 2 ? sG : sG8, part[i][bt * 4 + r], acc[bt * 4 + r]);
      }
    }
    return acc;
  };

  // Folded planes: a sign bit selects +alpha (1) or -alpha (0) by flipping
  // the sign of -alpha, one AND-XOR each; rows g (registers 0, 2) and g + 8
  // (1, 3) take their own alpha, broadcast to both halves.
  auto computeFolded = [&](ArrayRef<Value> words, ArrayRef<Value> x, SmallVector<Value> acc) {
    ArrayRef<Value> planes = words.take_front(P), params = words.drop_front(P);
    for (int64_t cc = 0; cc < 4; ++cc) {
      int64_t ps = cc * paramSets / 4;
      SmallVector<std::array<Value, 2>> negAlpha;
      for (int64_t i = 0; i < P; ++i) {
        std::array<Value, 2> rows = broadcastRowPair(e, params[ps * (P + 1) + i]);
        for (Value &r : rows)
          r = arith::XOrIOp::create(b, loc, e.bitcast(i32, r), e.c32((int64_t)0x80008000));
        negAlpha.push_back(rows);
      }
      std::array<Value, 2> offset = broadcastRowPair(e, params[ps * (P + 1) + P]);
      for (int64_t j = 0; j < 4; ++j) {
        SmallVector<Value> a;
        for (int64_t q = 0; q < 4; ++q) {
          Value w;
          for (int64_t i = 0; i < P; ++i) {
            int64_t kk = cc * P + i;
            Value word = e.extract(planes[kk / 4], kk % 4);
            Value shifted = 4 * j + q
                                ? arith::ShLIOp::create(b, loc, word, e.c32(4 * j + q)).getResult()
                                : word;
            Value term =
                e.bitcast(v2f16, arith::XOrIOp::create(b, loc, e.band(shifted, (int64_t)0x80008000),
                                                       negAlpha[i][q % 2]));
            w = w ? arith::AddFOp::create(b, loc, w, term).getResult() : term;
          }
          a.push_back(arith::AddFOp::create(b, loc, w, offset[q % 2]));
        }
        for (int64_t bt = 0; bt < NB; ++bt) {
          SmallVector<Value> c(acc.begin() + bt * 4, acc.begin() + bt * 4 + 4);
          c = mmaF16(e, a, f16BFragment(e, x[(bt * 4 + cc) * 2 + j / 2], j), c);
          std::copy(c.begin(), c.end(), acc.begin() + bt * 4);
        }
      }
    }
    return acc;
  };

  GemvMmaHooks hooks;
  hooks.loadWeights = loadWeights;
  hooks.loadX = loadX;
  if (binary.foldF16)
    hooks.computeChunk = computeFolded;
  else
    hooks.computeChunk = computeChunk;
  return k.finish(zeroAcc, hooks);
}

} // namespace mlir::lq::nvptx
