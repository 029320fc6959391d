//===- RoundMatmulInputs.cpp - lq-round-matmul-inputs ----------------------===//
//
// The f32 activations of lq.matmul rounded to f16 or bf16 and widened back,
// as element-wise linalg.generic ops: the arithmetic of 16-bit activations
// with f32 accumulation on every target, and the form lq-lower-to-nvptx
// reads as f16 activations.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQROUNDMATMULINPUTS
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

constexpr StringLiteral kPass = "lq-round-matmul-inputs";

/// Whether `value` is a float of at most 16 bits widened to f32: by
/// arith.extf or by an element-wise linalg.generic whose body is one extf
/// (what this pass makes).
bool isWidenedHalf(Value value) {
  Value narrow;
  if (auto ext = value.getDefiningOp<arith::ExtFOp>()) {
    narrow = ext.getIn();
  } else if (auto generic = value.getDefiningOp<linalg::GenericOp>()) {
    Block &body = generic.getRegion().front();
    if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
        generic.getNumParallelLoops() != generic.getNumLoops() ||
        !llvm::all_of(generic.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); }) ||
        body.getOperations().size() != 2)
      return false;
    auto ext = llvm::dyn_cast<arith::ExtFOp>(body.front());
    if (!ext || ext.getIn() != body.getArgument(0))
      return false;
    narrow = generic.getDpsInputOperand(0)->get();
  } else {
    return false;
  }
  auto type = llvm::dyn_cast<FloatType>(getElementTypeOrSelf(narrow.getType()));
  return type && type.getWidth() <= 16;
}

/// The name of a weight encoding, as the `encodings` option spells it.
StringRef encodingName(Attribute encoding) {
  if (llvm::isa<UniformEncodingAttr>(encoding))
    return "uniform";
  if (llvm::isa<BinaryEncodingAttr>(encoding))
    return "binary";
  if (llvm::isa<PVQEncodingAttr>(encoding))
    return "pvq";
  return "";
}

/// An element-wise linalg.generic converting `input`, of shape `sizes`, to
/// `elementType` by `T` (arith.truncf or arith.extf).
template <typename T>
Value convertElements(OpBuilder &b, Location loc, Value input, ArrayRef<OpFoldResult> sizes,
                      Type elementType) {
  auto type = llvm::cast<RankedTensorType>(input.getType());
  Value init = tensor::EmptyOp::create(b, loc, sizes, elementType);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(), utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{input}, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value converted = T::create(nb, nloc, elementType, args[0]);
        linalg::YieldOp::create(nb, nloc, converted);
      });
  return generic.getResult(0);
}

struct RoundMatmulInputsPass
    : public mlir::lq::impl::LQRoundMatmulInputsBase<RoundMatmulInputsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Type narrow = llvm::StringSwitch<Type>(activationType)
                      .Case("f16", Float16Type::get(ctx))
                      .Case("bf16", BFloat16Type::get(ctx))
                      .Default(Type());
    if (!narrow) {
      module.emitError() << kPass << ": type must be f16 or bf16, got '" << activationType
                         << "'";
      return signalPassFailure();
    }
    for (const std::string &name : encodings)
      if (name != "uniform" && name != "binary" && name != "pvq") {
        module.emitError() << kPass << ": encodings must be uniform, binary or pvq, got '"
                           << name << "'";
        return signalPassFailure();
      }
    if (minCols < 0) {
      module.emitError() << kPass << ": min-cols must not be negative, got "
                         << static_cast<int64_t>(minCols);
      return signalPassFailure();
    }
    for (const std::string &name : functions)
      if (!module.lookupSymbol<func::FuncOp>(name)) {
        module.emitError() << kPass << ": functions names '" << name
                           << "', which is not a func.func of the module";
        return signalPassFailure();
      }

    // The matmuls to convert, by input: one rounded copy per value.
    llvm::MapVector<Value, SmallVector<MatmulOp>> byInput;
    module.walk([&](MatmulOp op) {
      auto func = op->getParentOfType<func::FuncOp>();
      if (!functions.empty() && !(func && llvm::is_contained(functions, func.getSymName())))
        return;
      // Quantized activations: the matmul rounds its input itself.
      if (op.getActBits())
        return;
      if (!encodings.empty() &&
          !llvm::is_contained(encodings, encodingName(op.getWeight().getType().getEncoding())))
        return;
      Value input = op.getInput();
      auto type = llvm::dyn_cast<RankedTensorType>(input.getType());
      if (!type || !type.getElementType().isF32() || isWidenedHalf(input))
        return;
      if (minCols > 0 &&
          (type.isDynamicDim(type.getRank() - 1) || type.getShape().back() < minCols))
        return;
      byInput[input].push_back(op);
    });

    for (auto &[input, matmuls] : byInput) {
      // Right after the definition, so that it dominates every reader.
      OpBuilder b(ctx);
      if (Operation *def = input.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(llvm::cast<BlockArgument>(input).getOwner());
      Location loc = input.getLoc();
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
      Value rounded = convertElements<arith::TruncFOp>(b, loc, input, sizes, narrow);
      Value widened = convertElements<arith::ExtFOp>(b, loc, rounded, sizes, b.getF32Type());
      for (MatmulOp op : matmuls)
        op.getInputMutable().assign(widened);
    }
  }
};

} // namespace
