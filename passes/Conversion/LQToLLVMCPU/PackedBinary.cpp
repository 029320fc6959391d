//===- PackedBinary.cpp - lq-cpu-packed-matmul's binary-code dequantization -===//
//
// GPTQT binary codes (w = offset + sum_t alpha_t * b_t, b = +-1) dequantized
// to f32 for the large-batch path's tile (PackedKernel.cpp); the small-batch
// path looks x's partial sums up instead (PackedMatmul.cpp's file comment).
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
