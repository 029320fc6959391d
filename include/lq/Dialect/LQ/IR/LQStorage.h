//===- LQStorage.h - packed tensor shapes of lq.constant --------*- C++ -*-===//
#ifndef LQ_DIALECT_LQ_IR_LQSTORAGE_H
#define LQ_DIALECT_LQ_IR_LQSTORAGE_H

#include "lq/Numerics/Quantize.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::lq {

/// The shapes of the tensors an `lq.constant` holds for an encoding of an
/// `[rows, cols]` weight (docs/Layout.md); absent members are not stored.
struct StorageShapes {
  SmallVector<int64_t> codes, scales;
  std::optional<SmallVector<int64_t>> zeroPoints, amplitudes, offsets;
};

FailureOr<StorageShapes> getStorageShapes(const ::lq::Encoding &enc, int64_t rows,
                                          int64_t cols);

} // namespace mlir::lq

#endif // LQ_DIALECT_LQ_IR_LQSTORAGE_H
