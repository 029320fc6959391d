//===- GemvMma.cpp ---===//
#include "Kernels.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::lq::nvptx {

/// Builds the GEMV kernel of `plan` (W4 or binary codes) inside `kernels`.
gpu::GPUFuncOp buildKernel(OpBuilder &outer, Location loc, gpu::GPUModuleOp kernels,
                             const W4Plan &plan) {
  MLIRContext *ctx = outer.getContext();
  OpBuilder::InsertionGuard guard(outer);
  outer.setInsertionPointToEnd(kernels.getBody());
  const int64_t W = plan.warps, NB = plan.batchTiles, C = plan.chunks;
  const int64_t threads = 32 * W;
  auto smemType = MemRefType::get({NB * W * 32 * 4}, outer.getF32Type(), AffineMap(),
                                  gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  // cp.async staging ring (per-thread slots): codes, and the 4-byte group
  // parameters. Plain shared-memory globals give !llvm.ptr<3> directly.
  const int64_t S = plan.stages;
  // Binary codes apply their per-group parameters chunk by chunk, as grouped
  // uniform codes do.
  const bool grouped = plan.groups > 1 || plan.binary;
  LLVM::GlobalOp ringCodes, ringScales, ringZeros;
  if (S > 0) {
    auto global = [&](StringRef suffix, int64_t words) {
      auto type = LLVM::LLVMArrayType::get(outer.getI32Type(), words);
      auto g = LLVM::GlobalOp::create(outer, loc, type, /*isConstant=*/false,
                                      LLVM::Linkage::Internal,
                                      (plan.kernelName + suffix).str(), Attribute(),
                                      /*alignment=*/16, /*addrSpace=*/3);
      return g;
    };
    int64_t slots = S * plan.unroll * threads;
    ringCodes = global("_ring_codes", slots * 4);
    if (grouped)
      ringScales = global("_ring_scales", slots);
    if (!plan.symmetric)
      ringZeros = global("_ring_zeros", slots);
  }
  auto func = makeKernelFunc(kernels, loc, plan.kernelName, 3, plan.grid, threads,
                             W > 1 ? TypeRange{smemType} : TypeRange{}, plan.minBlocks);

  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  KernelOpBuilder e(loc, b);
  Value xArg = func.getArgument(0), wArg = func.getArgument(1), yArg = func.getArgument(2);
  Value xg = e.global(xArg);
  Value wg = e.global(wArg);
  Value yg = e.global(yArg);

  Value tid = e.threadId();
  Value tile = e.blockId();
  Value lane = e.band(tid, 31), warp = e.shr(tid, 5);
  Value g = e.shr(lane, 2), t = e.band(lane, 3);

  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  Type i32 = e.i32();
  VectorType v2f16 = e.v2f16(), v4i32 = e.v4i32();
  auto v4f32 = VectorType::get({4}, f32);
  auto v2f32 = VectorType::get({2}, f32);
  auto mmaResult = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});

  // Per batch tile: the activation row this lane feeds as mma column g
  // (clamped to a real row for padding columns).
  SmallVector<Value> xRowBase;
  for (int64_t bt = 0; bt < NB; ++bt) {
    Value row = e.add(g, e.c32(bt * 8));
    Value clamped = arith::MinUIOp::create(b, loc, row, e.c32(plan.batch - 1));
    // In units of the lane's 16-column slice of a chunk (16 x elem bytes).
    xRowBase.push_back(e.add(e.mul(clamped, e.c32(plan.cols / 16)), t));
  }
  // Element offsets of the parameter words of this lane's rows (g, g + 8).
  Value paramLane = e.add(e.mul(tile, e.c32(plan.groups * 8)), g);
  Value scalesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.scalesOffset));
  Value zerosBase = plan.symmetric ? Value()
                                   : e.gep(wg, b.getI8Type(), e.c32(plan.blob.zerosOffset));
  Value codesBase = e.gep(wg, b.getI8Type(), e.c32(plan.blob.codesOffset));
  Value codesLane = e.add(e.mul(tile, e.c32(C * 32)), lane);

  // Codes become f16 by OR-ing them into the mantissa of 1024 (0x6400):
  // low nibbles give 1024 + q, high nibbles 1024 + 16 q. Subtracting
  // 1024 + zero, or scaling by 1/16 and subtracting 64 + zero, leaves q - zero
  // exactly (symmetric zero: 8).
  auto splat = [&](double v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), std::to_string((int)v))));
  };
  Value magicLow = splat(1024 + 8), magicHigh = splat(-(64 + 8));
  Value sixteenth = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), "0.0625")));
  Value c960 = splat(960);
  Value zeroAcc = e.f32(0.0);
  const int64_t chunksPerGroup = plan.group / ::lq::gpu::kChunkCols;
  const int64_t xVecsPerChunk = plan.f32Input ? 4 : 2; // 16 elements per lane

  struct ChunkData {
    Value codes;               // vector<4xi32>
    SmallVector<Value> x;      // per batch tile: xVecsPerChunk vectors
    Value scale, zero;         // i32 words (f16 pairs for rows g, g + 8)
    // Binary codes: P vector<4xi32> (4 chunks x P planes, plane-minor) and
    // per parameter set, P alphas then the offset (f16 pairs, rows g, g + 8).
    SmallVector<Value> planes, params;
  };
  // Binary codes: a unit is a 256-column superchunk; parameter sets per
  // unit (one per group inside it, at least one).
  const int64_t P = plan.planes;
  const int64_t paramSets = plan.binary ? std::max<int64_t>(1, 256 / plan.group) : 0;
  Value bCodesLane, bParamsBase, bParamLane;
  if (plan.binary) {
    bCodesLane = e.add(e.mul(tile, e.c32(C * P * 32)), lane);
    bParamsBase = e.gep(wg, b.getI8Type(), e.c32(plan.bblob.paramsOffset));
    bParamLane = e.mul(e.add(e.mul(tile, e.c32(plan.groups * 8)), g), e.c32(P + 1));
  }
  // The streamed part of a chunk: codes and group parameters.
  auto loadWeights = [&](Value c) {
    ChunkData d;
    if (plan.binary) {
      for (int64_t m = 0; m < P; ++m) {
        Value at = e.add(bCodesLane, e.mul(e.add(e.mul(c, e.c32(P)), e.c32(m)), e.c32(32)));
        d.planes.push_back(e.load(v4i32, e.gep(codesBase, v4i32, at), 16));
      }
      for (int64_t ps = 0; ps < paramSets; ++ps) {
        Value group = plan.group <= 256
                          ? e.add(e.mul(c, e.c32(paramSets)), e.c32(ps))
                          : arith::DivUIOp::create(b, loc, c, e.c32(plan.group / 256)).getResult();
        Value first = e.add(bParamLane, e.mul(group, e.c32(8 * (P + 1))));
        for (int64_t q = 0; q <= P; ++q)
          d.params.push_back(e.load(i32, e.gep(bParamsBase, i32, e.add(first, e.c32(q))), 4));
      }
      return d;
    }
    Value at = e.add(codesLane, e.mul(c, e.c32(32)));
    d.codes = e.load(v4i32, e.gep(codesBase, v4i32, at), 16);
    if (grouped || !plan.symmetric) {
      Value group = chunksPerGroup == 1 ? c : arith::DivUIOp::create(b, loc, c, e.c32(chunksPerGroup));
      Value at = e.add(paramLane, e.mul(group, e.c32(8)));
      if (grouped)
        d.scale = e.load(i32, e.gep(scalesBase, i32, at), 4);
      if (!plan.symmetric)
        d.zero = e.load(i32, e.gep(zerosBase, i32, at), 4);
    }
    return d;
  };
  // The activations of a chunk: small and shared by every block, so they
  // come from L1/L2 and are loaded just before use.
  auto loadX = [&](ChunkData &d, Value c) {
    if (plan.binary) {
      // 4 chunks, each 2 vectors of the lane's 16 f16 activations.
      for (int64_t bt = 0; bt < NB; ++bt)
        for (int64_t cc = 0; cc < 4; ++cc) {
          Value slice = e.add(xRowBase[bt], e.mul(e.add(e.mul(c, e.c32(4)), e.c32(cc)), e.c32(4)));
          Value first = e.mul(slice, e.c32(2));
          for (int64_t v = 0; v < 2; ++v)
            d.x.push_back(e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16));
        }
      return;
    }
    for (int64_t bt = 0; bt < NB; ++bt) {
      // The chunk's 64 columns are 4 lane slices of 16; this lane's slice
      // is 16 contiguous elements (the layout permutes W's columns to match).
      Value slice = e.add(xRowBase[bt], e.mul(c, e.c32(4)));
      Value first = e.mul(slice, e.c32(xVecsPerChunk));
      for (int64_t v = 0; v < xVecsPerChunk; ++v) {
        // Columns past the batch read a real (clamped) row: finite values
        // whose mma columns are never stored, so no masking is needed.
        d.x.push_back(e.load(v4i32, e.gep(xg, v4i32, e.add(first, e.c32(v))), 16));
      }
    }
  };

  auto mma = [&](ArrayRef<Value> a, ArrayRef<Value> bFrag, ArrayRef<Value> c) {
    Value r = NVVM::MmaOp::create(b, loc, mmaResult, a, bFrag, c, {16, 8, 16}, std::nullopt,
                                  std::nullopt, std::nullopt,
                                  std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                                 NVVM::MMALayout::col});
    SmallVector<Value> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{i}));
    return out;
  };

  // Binary codes: w = sum_i alpha_i b_i + offset, b in {-1, +1}. Each plane
  // is an mma on +-1 f16 values (one shift and one LOP3 give the sign bits
  // of two halves: bit 1 -> +1.0, 0 -> -1.0); an mma with an all-ones A
  // gives the activation sums the offset multiplies. Alphas and offsets
  // scale the per-chunk f32 partial sums.
  Value onesA = plan.binary ? arith::ConstantOp::create(
                                  b, loc, DenseElementsAttr::get(v2f16, APFloat(APFloat::IEEEhalf(), "1")))
                                  .getResult()
                            : Value();
  auto computeBinary = [&](const ChunkData &d, SmallVector<Value> acc) {
    for (int64_t cc = 0; cc < 4; ++cc) {
      int64_t ps = cc * paramSets / 4;
      SmallVector<SmallVector<Value>> part(P + 1, SmallVector<Value>(NB * 4, zeroAcc));
      for (int64_t j = 0; j < 4; ++j) {
        SmallVector<SmallVector<Value>> a(P + 1);
        a[P] = {onesA, onesA, onesA, onesA};
        for (int64_t i = 0; i < P; ++i) {
          int64_t k = cc * P + i;
          Value word = e.extract(d.planes[k / 4], k % 4);
          for (int64_t q = 0; q < 4; ++q) {
            Value shifted = 4 * j + q ? arith::ShLIOp::create(b, loc, word, e.c32(4 * j + q)).getResult()
                                      : word;
            Value bits = arith::XOrIOp::create(b, loc, e.band(shifted, (int64_t)0x80008000),
                                               e.c32((int64_t)0xBC00BC00));
            a[i].push_back(e.bitcast(v2f16, bits));
          }
        }
        for (int64_t bt = 0; bt < NB; ++bt) {
          Value vec = d.x[(bt * 4 + cc) * 2 + j / 2];
          SmallVector<Value> bFrag = {e.bitcast(v2f16, e.extract(vec, (j % 2) * 2)),
                                      e.bitcast(v2f16, e.extract(vec, (j % 2) * 2 + 1))};
          for (int64_t i = 0; i <= P; ++i) {
            SmallVector<Value> c(part[i].begin() + bt * 4, part[i].begin() + bt * 4 + 4);
            c = mma(a[i], bFrag, c);
            std::copy(c.begin(), c.end(), part[i].begin() + bt * 4);
          }
        }
      }
      for (int64_t i = 0; i <= P; ++i) {
        Value s = arith::ExtFOp::create(b, loc, v2f32,
                                        e.bitcast(v2f16, d.params[ps * (P + 1) + i]));
        Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
        for (int64_t bt = 0; bt < NB; ++bt)
          for (int64_t r = 0; r < 4; ++r)
            acc[bt * 4 + r] = e.fma(r < 2 ? sG : sG8, part[i][bt * 4 + r], acc[bt * 4 + r]);
      }
    }
    return acc;
  };

  // acc[bt * 4 + i]: mma accumulator i of batch tile bt.
  auto computeChunk = [&](const ChunkData &d, SmallVector<Value> acc) {
    if (plan.binary)
      return computeBinary(d, acc);
    // Rows g (registers 0, 2) and g + 8 (registers 1, 3) of the A fragment.
    Value lowG = magicLow, lowG8 = magicLow, highG = magicHigh, highG8 = magicHigh;
    if (!plan.symmetric) {
      Value z = e.bitcast(v2f16, d.zero);                    // 1024 + zero
      Value nz = arith::SubFOp::create(b, loc, c960, z);      // -(64 + zero)
      static constexpr int64_t lane0[] = {0, 0}, lane1[] = {1, 1};
      lowG = vector::ShuffleOp::create(b, loc, z, z, lane0);
      lowG8 = vector::ShuffleOp::create(b, loc, z, z, lane1);
      highG = vector::ShuffleOp::create(b, loc, nz, nz, lane0);
      highG8 = vector::ShuffleOp::create(b, loc, nz, nz, lane1);
    }
    SmallVector<Value> part(acc.size(), zeroAcc);
    SmallVector<Value> &sum = grouped ? part : acc;
    for (int64_t j = 0; j < 4; ++j) {
      Value word = e.extract(d.codes, j);
      // Register q holds nibbles q (low half) and q + 4 (high half).
      Value top = e.shr(word, 8);
      auto field = [&](Value w, int64_t mask) {
        return e.bitcast(v2f16, e.bor(e.band(w, mask), 0x64006400));
      };
      auto low = [&](Value w, Value magic) -> Value {
        return arith::SubFOp::create(b, loc, field(w, 0x000F000F), magic);
      };
      auto high = [&](Value w, Value negMagic) -> Value {
        return LLVM::FMAOp::create(b, loc, field(w, 0x00F000F0), sixteenth, negMagic);
      };
      SmallVector<Value> a = {low(word, lowG), high(word, highG8), low(top, lowG),
                              high(top, highG8)};
      for (int64_t bt = 0; bt < NB; ++bt) {
        ArrayRef<Value> xs = ArrayRef<Value>(d.x).slice(bt * xVecsPerChunk, xVecsPerChunk);
        SmallVector<Value> c(sum.begin() + bt * 4, sum.begin() + bt * 4 + 4);
        if (!plan.f32Input) {
          // k-tile j reads halves 4j..4j+3 of the lane's 16: two f16x2 words.
          Value vec = xs[j / 2];
          SmallVector<Value> bFrag = {e.bitcast(v2f16, e.extract(vec, (j % 2) * 2)),
                                      e.bitcast(v2f16, e.extract(vec, (j % 2) * 2 + 1))};
          c = mma(a, bFrag, c);
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
          c = mma(a, hi, c);
          c = mma(a, lo, c);
        }
        std::copy(c.begin(), c.end(), sum.begin() + bt * 4);
      }
    }
    if (grouped) {
      Value s = arith::ExtFOp::create(b, loc, v2f32, e.bitcast(v2f16, d.scale));
      Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
      for (int64_t bt = 0; bt < NB; ++bt)
        for (int64_t i = 0; i < 4; ++i)
          acc[bt * 4 + i] = e.fma(i < 2 ? sG : sG8, part[bt * 4 + i], acc[bt * 4 + i]);
    }
    return acc;
  };

  // Warp w takes chunks w, w + W, ...: neighbouring warps read neighbouring
  // 512-byte segments. Each iteration handles U chunks; with prefetching,
  // the next iteration's U weight loads are issued before this one's math,
  // so every lane always has U 128-bit loads in flight.
  const int64_t U = plan.unroll;
  Value count = stridedCount(e, warp, W, C);
  Value mainIters = arith::DivUIOp::create(b, loc, count, e.c32(U));
  // Prefetches past the warp's last chunk read (and drop) chunk C - 1 of
  // the same tile rather than memory outside the weight.
  auto chunkOf = [&](Value iter, int64_t u) { return stridedItem(e, warp, W, C, U, iter, u); };
  // Weight words of U chunks, flattened for scf.for iter_args.
  auto flatten = [&](ArrayRef<ChunkData> set) {
    SmallVector<Value> v;
    for (const ChunkData &d : set) {
      if (plan.binary) {
        llvm::append_range(v, d.planes);
        llvm::append_range(v, d.params);
        continue;
      }
      v.push_back(d.codes);
      if (d.scale)
        v.push_back(d.scale);
      if (d.zero)
        v.push_back(d.zero);
    }
    return v;
  };
  const int64_t perChunk = plan.binary ? P + paramSets * (P + 1)
                                       : 1 + (grouped ? 1 : 0) + (plan.symmetric ? 0 : 1);
  auto unflatten = [&](ValueRange v) {
    SmallVector<ChunkData> set(U);
    for (int64_t u = 0; u < U; ++u) {
      if (plan.binary) {
        ValueRange unit = v.slice(u * perChunk, perChunk);
        set[u].planes.assign(unit.begin(), unit.begin() + P);
        set[u].params.assign(unit.begin() + P, unit.end());
        continue;
      }
      int64_t at = u * perChunk;
      set[u].codes = v[at++];
      if (grouped)
        set[u].scale = v[at++];
      if (!plan.symmetric)
        set[u].zero = v[at++];
    }
    return set;
  };
  auto loadSet = [&](Value iter) {
    SmallVector<ChunkData> set;
    for (int64_t u = 0; u < U; ++u)
      set.push_back(loadWeights(chunkOf(iter, u)));
    return set;
  };
  auto computeSet = [&](SmallVector<ChunkData> set, Value iter, SmallVector<Value> acc) {
    for (int64_t u = 0; u < U; ++u)
      loadX(set[u], chunkOf(iter, u));
    for (int64_t u = 0; u < U; ++u)
      acc = computeChunk(set[u], acc);
    return acc;
  };
  SmallVector<Value> init(NB * 4, zeroAcc);
  SmallVector<Value> mainResults;
  if (S > 0) {
    // cp.async pipeline: S - 1 iterations' weights are in flight into
    // shared memory while one is computed, without holding registers. Each
    // thread reads back only its own slots, so cp.async.wait_group orders
    // everything (no barrier).
    auto sptr = LLVM::LLVMPointerType::get(ctx, 3);
    Value codesRing = LLVM::AddressOfOp::create(b, loc, ringCodes);
    Value scalesRing = grouped ? LLVM::AddressOfOp::create(b, loc, ringScales).getResult() : Value();
    Value zerosRing = plan.symmetric ? Value() : LLVM::AddressOfOp::create(b, loc, ringZeros).getResult();
    auto slotIndex = [&](Value slot, int64_t u) {
      return e.add(e.mul(e.add(e.mul(slot, e.c32(U)), e.c32(u)), e.c32(threads)), tid);
    };
    auto issue = [&](Value iter) {
      Value slot = arith::RemUIOp::create(b, loc, iter, e.c32(S));
      for (int64_t u = 0; u < U; ++u) {
        Value c = chunkOf(iter, u);
        Value at = slotIndex(slot, u);
        Value src = e.gep(codesBase, v4i32, e.add(codesLane, e.mul(c, e.c32(32))));
        NVVM::CpAsyncOp::create(b, loc, e.gep(codesRing, v4i32, at), src, 16,
                                NVVM::LoadCacheModifierKind::CG, Value());
        if (grouped || !plan.symmetric) {
          Value group = chunksPerGroup == 1
                            ? c
                            : arith::DivUIOp::create(b, loc, c, e.c32(chunksPerGroup)).getResult();
          Value pat = e.add(paramLane, e.mul(group, e.c32(8)));
          if (grouped)
            NVVM::CpAsyncOp::create(b, loc, e.gep(scalesRing, i32, at),
                                    e.gep(scalesBase, i32, pat), 4,
                                    NVVM::LoadCacheModifierKind::CA, Value());
          if (!plan.symmetric)
            NVVM::CpAsyncOp::create(b, loc, e.gep(zerosRing, i32, at),
                                    e.gep(zerosBase, i32, pat), 4,
                                    NVVM::LoadCacheModifierKind::CA, Value());
        }
      }
    };
    // Only iterations that exist are fetched; every iteration still commits
    // a (possibly empty) group so wait_group counts stay aligned.
    auto issueIfValid = [&](Value iter) {
      Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, iter, mainIters);
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
    mainResults = accumulateLoop(
        e, e.idx(0), e.toIndex(mainIters), e.idx(1), init,
        [&](Value iter, SmallVector<Value> acc) {
          issueIfValid(e.add(iter, e.c32(S - 1)));
          NVVM::CpAsyncWaitGroupOp::create(b, loc, S - 1);
          Value slot = arith::RemUIOp::create(b, loc, iter, e.c32(S));
          SmallVector<ChunkData> set(U);
          for (int64_t u = 0; u < U; ++u) {
            Value at = slotIndex(slot, u);
            set[u].codes = e.load(v4i32, e.gep(codesRing, v4i32, at), 16);
            if (grouped)
              set[u].scale = e.load(i32, e.gep(scalesRing, i32, at), 4);
            if (!plan.symmetric)
              set[u].zero = e.load(i32, e.gep(zerosRing, i32, at), 4);
          }
          return computeSet(set, iter, std::move(acc));
        });
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    (void)sptr;
  } else if (plan.prefetch) {
    mainResults = prefetchLoop(
        e, mainIters, init, [&](Value iter) { return flatten(loadSet(iter)); },
        [&](ValueRange loaded, Value iter, SmallVector<Value> acc) {
          return computeSet(unflatten(loaded), iter, std::move(acc));
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
        ChunkData d = loadWeights(c);
        loadX(d, c);
        return computeChunk(d, std::move(acc));
      });

  // Output (row r, batch m) sits in lane (r % 8) * 4 + (m % 8) / 2,
  // accumulator (r / 8) * 2 + m % 2 of batch tile m / 8.
  Value rowBase = e.mul(tile, e.c32(16));
  auto storeOutput = [&](Value r, Value m, Value v) {
    if (!grouped) {
      // Per-channel scale: once, at the end.
      Value at = e.add(e.mul(tile, e.c32(16)),
                       e.add(e.mul(e.band(r, 7), e.c32(2)), e.shr(r, 3)));
      Value s = e.load(f16, e.gep(scalesBase, f16, at), 2);
      v = arith::MulFOp::create(b, loc, v, arith::ExtFOp::create(b, loc, f32, s));
    }
    Value at = e.add(e.mul(m, e.c32(plan.rows)), e.add(rowBase, r));
    LLVM::StoreOp::create(b, loc, v, e.gep(yg, f32, at), 4);
  };

  if (W == 1) {
    // One warp holds the whole sum: lanes store their own outputs.
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
    Value smem = func.getWorkgroupAttributions().front();
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
    Value srcLane = e.add(e.mul(e.band(r, 7), e.c32(4)), e.shr(e.band(m, 7), 1));
    Value reg = e.add(e.mul(e.shr(r, 3), e.c32(2)), e.band(m, 1));
    Value bt = e.shr(m, 3);
    Value sum = zeroAcc;
    for (int64_t w = 0; w < W; ++w) {
      Value at = e.add(e.mul(e.add(e.mul(e.add(e.mul(bt, e.c32(W)), e.c32(w)), e.c32(32)), srcLane),
                             e.c32(4)),
                       reg);
      Value v = memref::LoadOp::create(b, loc, smem, ValueRange{e.toIndex(at)});
      sum = arith::AddFOp::create(b, loc, sum, v);
    }
    storeOutput(r, m, sum);
  }
  return finishKernel(b, loc, func);
}

} // namespace mlir::lq::nvptx
