//===- MmaHelpers.h - mma.sync fragments for the NVPTX kernels ---*- C++ -*-===//
//
// What the mma.sync kernels share (the W4 and binary GEMV of GemvMma.h, and
// the W4A8 GEMM): the mma ops, and how a lane's fragments map to activation
// rows, weight parameters and outputs. In a warp, lane l has group
// g = l / 4 and thread t = l % 4: it holds A rows g and g + 8, B column g
// (an activation row) and k slice t of each tile (PTX ISA, "Matrix
// Fragments for mma.m16n8k16/k32"); the weight layout of docs/GPULayout.md
// stores each lane's share contiguously.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_MMAHELPERS_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_MMAHELPERS_H

#include "KernelBuilder.h"

#include <array>
#include <utility>

namespace mlir::lq::nvptx {

/// mma.sync.m16n8k16, f16 x f16 -> f32, A row-major: the four f32
/// accumulators of `c` plus a (4 f16x2 registers) x b (2).
inline SmallVector<Value> mmaF16(KernelOpBuilder &e, ArrayRef<Value> a, ArrayRef<Value> b,
                                 ArrayRef<Value> c) {
  Type f32 = e.b.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(e.b.getContext(), {f32, f32, f32, f32});
  Value r = NVVM::MmaOp::create(e.b, e.loc, result, a, b, c, {16, 8, 16}, std::nullopt,
                                std::nullopt, std::nullopt,
                                std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                               NVVM::MMALayout::col});
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(LLVM::ExtractValueOp::create(e.b, e.loc, r, ArrayRef<int64_t>{i}));
  return out;
}

/// mma.sync.m16n8k32, s8 x s8 -> s32 (wrapping), A row-major: the four i32
/// accumulators of `c` plus a (4 registers of 4 int8) x b (2).
inline SmallVector<Value> mmaS8(KernelOpBuilder &e, ArrayRef<Value> a, ArrayRef<Value> b,
                                ArrayRef<Value> c) {
  Type i32 = e.i32();
  auto result = LLVM::LLVMStructType::getLiteral(e.b.getContext(), {i32, i32, i32, i32});
  Value r = NVVM::MmaOp::create(
      e.b, e.loc, result, a, b, c, {16, 8, 32}, std::nullopt, NVVM::MMAIntOverflow::wrapped,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::s8, NVVM::MMATypes::s8},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(LLVM::ExtractValueOp::create(e.b, e.loc, r, ArrayRef<int64_t>{i}));
  return out;
}

/// The B fragment of k-tile j from f16 activations: of the lane's 16
/// halves (two vector<4xi32>), k-tile j reads halves 4j..4j+3, the f16x2
/// words 2 (j % 2) and 2 (j % 2) + 1 of `vec` = vector j / 2.
inline SmallVector<Value> f16BFragment(KernelOpBuilder &e, Value vec, int64_t j) {
  VectorType v2f16 = e.v2f16();
  return {e.bitcast(v2f16, e.extract(vec, (j % 2) * 2)),
          e.bitcast(v2f16, e.extract(vec, (j % 2) * 2 + 1))};
}

/// 4-bit codes (docs/GPULayout.md, "Codes") to the f16 A fragments of
/// mma.m16n8k16. Codes become f16 by OR-ing them into the mantissa of 1024
/// (0x6400): low nibbles give 1024 + q, high nibbles 1024 + 16 q.
/// Subtracting 1024 + zero, or scaling by 1/16 and subtracting 64 + zero,
/// leaves q - zero exactly (symmetric zero: 8). The W4 GEMV and the W4A16
/// GEMM share it.
class W4ToF16 {
public:
  /// The constants, built at `e`'s insertion point.
  explicit W4ToF16(KernelOpBuilder &e) : e(e) {
    magicLow = splat(1024 + 8);
    magicHigh = splat(-(64 + 8));
    sixteenth = arith::ConstantOp::create(
        e.b, e.loc,
        DenseElementsAttr::get(e.v2f16(), APFloat(APFloat::IEEEhalf(), "0.0625")));
    c960 = splat(960);
  }

  /// What a fragment subtracts: from row g's low nibbles and from row
  /// g + 8's scaled high nibbles.
  struct Offsets {
    Value low, high;
  };
  /// The symmetric offsets (`zero` null), or those of the zero-point word
  /// `zero`: the f16 pair (1024 + zero of row g, of row g + 8).
  Offsets offsets(Value zero) {
    if (!zero)
      return {magicLow, magicHigh};
    Value z = e.bitcast(e.v2f16(), zero);                        // 1024 + zero
    Value nz = arith::SubFOp::create(e.b, e.loc, c960, z);       // -(64 + zero)
    static constexpr int64_t lane0[] = {0, 0}, lane1[] = {1, 1};
    return {vector::ShuffleOp::create(e.b, e.loc, z, z, lane0),
            vector::ShuffleOp::create(e.b, e.loc, nz, nz, lane1)};
  }

  /// The four f16x2 A registers of one k-tile from its code word: register
  /// q holds nibbles q (low half) and q + 4 (high half); rows g (registers
  /// 0, 2) and g + 8 (registers 1, 3).
  SmallVector<Value> fragment(Value word, const Offsets &o) {
    Value top = e.shr(word, 8);
    auto field = [&](Value w, int64_t mask) {
      return e.bitcast(e.v2f16(), e.bor(e.band(w, mask), 0x64006400));
    };
    auto low = [&](Value w) -> Value {
      return arith::SubFOp::create(e.b, e.loc, field(w, 0x000F000F), o.low);
    };
    auto high = [&](Value w) -> Value {
      return LLVM::FMAOp::create(e.b, e.loc, field(w, 0x00F000F0), sixteenth, o.high);
    };
    return {low(word), high(word), low(top), high(top)};
  }

private:
  Value splat(int v) {
    return arith::ConstantOp::create(
        e.b, e.loc,
        DenseElementsAttr::get(e.v2f16(), APFloat(APFloat::IEEEhalf(), std::to_string(v))));
  }

  KernelOpBuilder &e;
  Value magicLow, magicHigh, sixteenth, c960;
};

/// Where a lane's activations start: row `row` of the [batch, cols] input
/// in units of 16-column slices, plus the lane's slice `t`. The
/// row is clamped to the last real one: padding columns of the mma read
/// finite values and are never stored, so nothing needs masking.
inline Value activationSlices(KernelOpBuilder &e, Value row, int64_t batch, int64_t cols,
                              Value t) {
  Value clamped = arith::MinUIOp::create(e.b, e.loc, row, e.c32(batch - 1));
  return e.add(e.mul(clamped, e.c32(cols / 16)), t);
}

/// The f32 values of a parameter word, the f16 pair (row g, row g + 8):
/// the scale of accumulators 0, 1 and of accumulators 2, 3.
inline std::pair<Value, Value> rowPairToF32(KernelOpBuilder &e, Value word) {
  auto v2f32 = VectorType::get({2}, e.b.getF32Type());
  Value s = arith::ExtFOp::create(e.b, e.loc, v2f32, e.bitcast(e.v2f16(), word));
  Value sG = e.extract(s, 0), sG8 = e.extract(s, 1);
  return {sG, sG8};
}

/// A parameter word, the f16 pair (row g, row g + 8), as two f16x2 values
/// that broadcast one row's parameter to both halves: the factors of A
/// registers 0, 2 (row g) and 1, 3 (row g + 8).
inline std::array<Value, 2> broadcastRowPair(KernelOpBuilder &e, Value word) {
  Value pair = e.bitcast(e.v2f16(), word);
  static constexpr int64_t lane0[] = {0, 0}, lane1[] = {1, 1};
  return {vector::ShuffleOp::create(e.b, e.loc, pair, pair, lane0).getResult(),
          vector::ShuffleOp::create(e.b, e.loc, pair, pair, lane1).getResult()};
}

/// Where output (row r, batch column m) of a tile sits after the mma:
/// lane (r % 8) * 4 + (m % 8) / 2, accumulator (r / 8) * 2 + m % 2 of batch
/// tile m / 8.
struct AccumulatorSlot {
  Value lane, reg;
};
inline AccumulatorSlot accumulatorSlot(KernelOpBuilder &e, Value r, Value m) {
  Value lane = e.add(e.mul(e.band(r, 7), e.c32(4)), e.shr(e.band(m, 7), 1));
  Value reg = e.add(e.mul(e.shr(r, 3), e.c32(2)), e.band(m, 1));
  return {lane, reg};
}

/// `v` times the per-channel (one group) f16 scale of row r of row tile
/// `tile`, from the scales at `scalesBase` (::lq::gpu::w4ParamIndex).
inline Value scaleByChannel(KernelOpBuilder &e, Value v, Value scalesBase, Value tile, Value r) {
  Type f16 = e.b.getF16Type();
  Value at = e.add(e.mul(tile, e.c32(16)), e.add(e.mul(e.band(r, 7), e.c32(2)), e.shr(r, 3)));
  Value s = e.load(f16, e.gep(scalesBase, f16, at), 2);
  return arith::MulFOp::create(e.b, e.loc, v,
                               arith::ExtFOp::create(e.b, e.loc, e.b.getF32Type(), s));
}

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_MMAHELPERS_H
