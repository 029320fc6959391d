//===- LQStorage.cpp - packed tensor shapes of lq.constant ------------------===//
#include "lq/Dialect/LQ/IR/LQStorage.h"

#include "lq/Numerics/PVQ.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::lq;

FailureOr<StorageShapes> mlir::lq::getStorageShapes(const ::lq::Encoding &enc, int64_t rows,
                                                    int64_t cols) {
  StorageShapes s;
  if (auto *u = std::get_if<::lq::UniformEncoding>(&enc)) {
    s.codes = {rows, (int64_t)llvm::divideCeil(cols * u->bits, 8)};
    s.scales = {rows, cols / u->group};
    if (!u->symmetric)
      s.zeroPoints = SmallVector<int64_t>{rows, cols / u->group};
    return s;
  }
  if (auto *p = std::get_if<::lq::PVQEncoding>(&enc)) {
    auto bits = ::lq::pvqIndexBits(p->dim, p->pulses);
    if (!bits) {
      llvm::consumeError(bits.takeError());
      return failure();
    }
    s.codes = {rows, (int64_t)llvm::divideCeil((cols / p->dim) * *bits, 8)};
    s.scales = {rows, 1};
    s.amplitudes =
        SmallVector<int64_t>{rows, (int64_t)llvm::divideCeil((cols / p->ampGroup) * p->ampBits, 8)};
    return s;
  }
  const auto &b = std::get<::lq::BinaryEncoding>(enc);
  s.codes = {(int64_t)b.planes, rows, (int64_t)llvm::divideCeil(cols, 8)};
  s.scales = {rows, cols / b.group, (int64_t)b.planes};
  s.offsets = SmallVector<int64_t>{rows, cols / b.group};
  return s;
}
