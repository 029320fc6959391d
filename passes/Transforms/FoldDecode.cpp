//===- FoldDecode.cpp - lq-fold-decode ---------------------------------------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQFOLDDECODE
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {
struct FoldDecodePass : public mlir::lq::impl::LQFoldDecodeBase<FoldDecodePass> {
  void runOnOperation() override {
    SmallVector<DecodeOp> decodes;
    getOperation().walk([&](DecodeOp op) { decodes.push_back(op); });
    for (DecodeOp op : decodes) {
      auto constant = op.getWeight().getDefiningOp<ConstantOp>();
      if (!constant)
        continue;
      FailureOr<DenseElementsAttr> decoded = decodeWithLibrary(constant);
      if (failed(decoded))
        return signalPassFailure();
      OpBuilder builder(op);
      op.replaceAllUsesWith(arith::ConstantOp::create(builder, op.getLoc(), *decoded).getResult());
      op.erase();
    }
    getOperation().walk([](ConstantOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};
} // namespace
