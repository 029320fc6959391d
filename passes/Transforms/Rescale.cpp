//===- Rescale.cpp - lq-rescale: GPTQT scale re-exploration ------------------===//
//
// Refits the groups of binary-code weights against the float weight they
// were quantized from, keeping a refit only where it lowers the layer loss
// (lq::rescaleBinary does the numerics).
//
//===----------------------------------------------------------------------===//
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

#include "lq/Dialect/LQ/IR/LQStorage.h"
#include "lq/Numerics/Quantize.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQRESCALE
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {
struct RescalePass : public mlir::lq::impl::LQRescaleBase<RescalePass> {
  using Base::Base;
  void runOnOperation() override;
  LogicalResult rescale(ConstantOp op, const ::lq::QuantizeOptions &base);
};
} // namespace

/// Reads an optional float matrix attribute of `op` with the given shape.
static FailureOr<std::vector<float>> readMatrix(ConstantOp op, StringRef name,
                                                ArrayRef<int64_t> shape) {
  auto attr = op->getAttrOfType<ElementsAttr>(name);
  if (!attr)
    return std::vector<float>();
  auto type = llvm::cast<ShapedType>(attr.getType());
  if (type.getShape() != shape)
    return op.emitError() << name << " must have shape " << shape.front() << "x"
                          << shape.back() << ", got " << attr.getType();
  FailureOr<std::vector<float>> values = readFloats(attr);
  if (failed(values))
    return op.emitError() << name << " is not readable f32/f16/bf16 data";
  return values;
}

LogicalResult RescalePass::rescale(ConstantOp op, const ::lq::QuantizeOptions &base) {
  WeightType type = op.getResult().getType();
  ::lq::Encoding enc = type.getEncoding().getNumericEncoding();
  const auto *binary = std::get_if<::lq::BinaryEncoding>(&enc);
  if (!binary)
    return success();
  int64_t rows = type.getRows(), cols = type.getCols();
  if (!op->hasAttr("lq.reference"))
    return op.emitError("lq-rescale needs the float weight in `lq.reference`; quantize with "
                        "lq-quantize-weights{keep-reference=true}");
  FailureOr<std::vector<float>> reference = readMatrix(op, "lq.reference", {rows, cols});
  FailureOr<std::vector<float>> hessian = readMatrix(op, "lq.hessian", {cols, cols});
  if (failed(reference) || failed(hessian))
    return failure();
  FailureOr<::lq::EncodedWeight> storage = readStorage(op);
  if (failed(storage))
    return failure();
  ::lq::QuantizeOptions options = base;
  options.hessian = hessian->empty() ? nullptr : hessian->data();
  llvm::Expected<::lq::RescaleResult> result =
      ::lq::rescaleBinary(reference->data(), *binary, *storage, options);
  if (!result)
    return op.emitError() << "rescale failed: " << llvm::toString(result.takeError());

  auto rename = [&](ElementsAttr old, StringRef suffix, auto values) -> ElementsAttr {
    std::string name = (llvm::Twine("rescaled.") + suffix).str();
    if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(old))
      name = res.getRawHandle().getKey().str();
    return makeResource(llvm::cast<ShapedType>(old.getType()), name, llvm::ArrayRef(values));
  };
  op.setCodesAttr(rename(op.getCodes(), "codes", storage->codes));
  op.setScalesAttr(rename(op.getScales(), "scales", storage->scales));
  op.setOffsetsAttr(rename(*op.getOffsets(), "offsets", storage->offsets));
  op->removeAttr("lq.reference");
  op->removeAttr("lq.hessian");
  if (failed(mlir::verify(op)))
    return failure();
  if (report)
    op.emitRemark() << llvm::formatv(
        "rescaled {0} of {1} groups: layer loss {2:E4} -> {3:E4} ({4:P} lower)",
        result->groupsChanged, result->groups, result->lossBefore, result->lossAfter,
        result->lossBefore > 0 ? 1 - result->lossAfter / result->lossBefore : 0.0);
  return success();
}

void RescalePass::runOnOperation() {
  ::lq::QuantizeOptions options;
  if (!grid.empty())
    options.rescaleGrid.assign(grid.begin(), grid.end());
  for (double g : options.rescaleGrid)
    if (!(g > 0) || !std::isfinite(g)) {
      getOperation().emitError() << "lq-rescale grid factors must be finite and positive, got "
                                 << g;
      return signalPassFailure();
    }
  options.gridBits = gridBits;
  options.threads = threads;
  bool failedAny = false;
  getOperation().walk([&](ConstantOp op) { failedAny |= failed(rescale(op, options)); });
  if (failedAny)
    signalPassFailure();
}
