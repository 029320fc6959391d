//===- PackedBinary.cpp - lq-cpu-packed-matmul's binary-code dequantization -===//
//
// GPTQT binary codes (w = offset + sum_t alpha_t * b_t, b = +-1) dequantized
// to f32 for the large-batch path's tile (PackedKernel.cpp); the small-batch
// path looks x's partial sums up instead (PackedMatmul.cpp's file comment),
// with lookupSignSums.
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <climits>

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::cpu;

SmallVector<Value> mlir::lq::cpu::decodeSignValues(OpBuilder &b, Location loc,
                                                   const PackedWeight &w, Value panel, Value u,
                                                   ArrayRef<Value> coefs) {
  auto i32Vec = VectorType::get({kPanel}, b.getI32Type());
  auto f32Vec = VectorType::get({kPanel}, b.getF32Type());
  auto bytesVec = VectorType::get({kPanel}, b.getI8Type());
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto splat = [&](int32_t v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32Vec, v));
  };
  SmallVector<Value> wide;
  for (unsigned p = 0; p < w.signPlanes; ++p) {
    Value pad = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    Value bytes = vector::TransferReadOp::create(b, loc, bytesVec, w.signs,
                                                 ValueRange{panel, u, idx(p), idx(0)}, pad,
                                                 ArrayRef<bool>{true});
    wide.push_back(arith::ExtUIOp::create(b, loc, i32Vec, bytes));
  }
  // Bit j set: +alpha, clear: -alpha, by flipping alpha's sign bit where
  // the code's bit (shifted to bit 31) is clear: a shift and one
  // three-input logic op (vpternlogd) per k and plane, then an add.
  SmallVector<Value> alphaBits;
  for (unsigned p = 0; p < w.signPlanes; ++p)
    alphaBits.push_back(vector::BitCastOp::create(b, loc, i32Vec, coefs[p]));
  Value signBit = splat(INT32_MIN), ones = splat(-1);
  SmallVector<Value> values;
  for (int64_t j = 0; j < 8; ++j) {
    Value v = coefs.back();
    for (unsigned p = 0; p < w.signPlanes; ++p) {
      Value atTop = arith::ShLIOp::create(b, loc, wide[p], splat(31 - j));
      Value flip =
          arith::AndIOp::create(b, loc, arith::XOrIOp::create(b, loc, atTop, ones), signBit);
      Value term = vector::BitCastOp::create(
          b, loc, f32Vec, arith::XOrIOp::create(b, loc, alphaBits[p], flip));
      v = arith::AddFOp::create(b, loc, v, term);
    }
    values.push_back(v);
  }
  return values;
}

/// A variable permute of 16 lanes is one vpermps on AVX-512 (LLVM's X86
/// backend makes it of the dynamic extracts). AVX2's vpermps permutes 8
/// lanes, and a 16-lane one becomes 16 extracts and inserts through
/// memory (8x W4's time at batch 1): there, per 8 lanes, each half of the
/// table is permuted by the index mod 8 (int8-dot=avx2: the vpermps
/// intrinsic, which reads those bits itself; else a portable 8-lane
/// permute) and bit 3 of the index, shifted to the sign, chooses between
/// them.
Value mlir::lq::cpu::lookupSignSums(OpBuilder &b, Location loc, Int8Dot dot, Value table,
                                    Value index) {
  auto permute = [&](Value from, Value at, int64_t lanes) -> Value {
    SmallVector<Value> elems;
    for (int64_t i = 0; i < lanes; ++i) {
      Value lane = vector::ExtractOp::create(b, loc, at, i);
      Value pos = arith::IndexCastOp::create(b, loc, b.getIndexType(), lane);
      elems.push_back(vector::ExtractOp::create(b, loc, from, OpFoldResult(pos)));
    }
    return vector::FromElementsOp::create(b, loc, VectorType::get({lanes}, b.getF32Type()), elems);
  };
  if (dot == Int8Dot::AVX512VNNI)
    return permute(table, index, kPanel);
  auto oct = VectorType::get({8}, b.getF32Type());
  auto half = [&](Value v, int64_t h) -> Value {
    return vector::ExtractStridedSliceOp::create(b, loc, v, ArrayRef<int64_t>{8 * h},
                                                 ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1});
  };
  auto splat = [&](int64_t lanes, int32_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(VectorType::get({lanes}, b.getI32Type()), v));
  };
  Value sign = arith::ShLIOp::create(b, loc, index, splat(kPanel, 28));
  Value at = dot == Int8Dot::AVX2 ? index : arith::AndIOp::create(b, loc, index, splat(kPanel, 7));
  Value zero = splat(8, 0);
  Value tables[2] = {half(table, 0), half(table, 1)}, lanes[2];
  for (int64_t h = 0; h < 2; ++h) {
    Value from[2], atHalf = half(at, h);
    for (int64_t t = 0; t < 2; ++t)
      from[t] = dot == Int8Dot::AVX2
                    ? LLVM::CallIntrinsicOp::create(b, loc, oct, b.getStringAttr(kPermps),
                                                    ValueRange{tables[t], atHalf})
                          .getResult(0)
                    : permute(tables[t], atHalf, 8);
    Value upper = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, half(sign, h), zero);
    lanes[h] = arith::SelectOp::create(b, loc, upper, from[1], from[0]);
  }
  return vector::ShuffleOp::create(b, loc, lanes[0], lanes[1],
                                   llvm::to_vector(llvm::seq<int64_t>(0, kPanel)));
}
