//===- PackedInt8.cpp - lq-cpu-packed-matmul's int8 dot products ----------===//
//
// W4A8's integer sums (PackedMatmul.cpp's file comment) on the target's
// int8 dot products: AVX512-VNNI's vpdpbusd, or AVX2's vpmaddubsw and
// vpmaddwd, which give the same sums where the s16 intermediates cannot
// saturate (4-bit codes: a u8 operand below 16).
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/Sequence.h"

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::cpu;

Value mlir::lq::cpu::addInt8Dots(OpBuilder &b, Location loc, Int8Dot dot, Value acc,
                                 ArrayRef<Value> codes, ArrayRef<Value> xs) {
  auto intrinsic = [&](Type type, StringRef name, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, type, b.getStringAttr(name), args).getResult(0);
  };
  if (dot == Int8Dot::AVX512VNNI) {
    for (auto [c, x] : llvm::zip_equal(codes, xs))
      acc = intrinsic(acc.getType(), kVpdpbusd, {acc, c, x});
    return acc;
  }
  int64_t half = cast<VectorType>(codes.front().getType()).getNumElements() / 2;
  auto halfWords = VectorType::get({half / 2}, b.getI16Type());
  auto halfLanes = VectorType::get({half / 4}, b.getI32Type());
  Value ones = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(halfWords, int16_t(1)));
  auto slice = [&](Value v, int64_t at) -> Value {
    return vector::ExtractStridedSliceOp::create(b, loc, v, ArrayRef<int64_t>{at},
                                                 ArrayRef<int64_t>{half}, ArrayRef<int64_t>{1});
  };
  Value sums[2];
  for (int64_t h = 0; h < 2; ++h) {
    Value pairs;
    for (auto [c, x] : llvm::zip_equal(codes, xs)) {
      Value p = intrinsic(halfWords, kPmaddubsw, {slice(c, h * half), slice(x, h * half)});
      pairs = pairs ? arith::AddIOp::create(b, loc, pairs, p).getResult() : p;
    }
    sums[h] = intrinsic(halfLanes, kPmaddwd, {pairs, ones});
  }
  SmallVector<int64_t> lanes = llvm::to_vector(llvm::seq<int64_t>(0, half / 2));
  Value all = vector::ShuffleOp::create(b, loc, sums[0], sums[1], lanes);
  return arith::AddIOp::create(b, loc, acc, all);
}
