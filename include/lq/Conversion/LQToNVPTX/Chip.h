//===- Chip.h - NVIDIA chip names -------------------------------*- C++ -*-===//
//
// The SM version of a chip name (`sm_90a` -> 90), shared by the passes that
// choose instructions by it.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_LQTONVPTX_CHIP_H
#define LQ_CONVERSION_LQTONVPTX_CHIP_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::lq::nvptx {

/// `sm_NN`, `sm_NNa` or `sm_NNf` to NN; fails on anything else.
FailureOr<int> parseChip(StringRef chip);

} // namespace mlir::lq::nvptx

#endif // LQ_CONVERSION_LQTONVPTX_CHIP_H
