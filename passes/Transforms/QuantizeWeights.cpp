//===- QuantizeWeights.cpp - lq-quantize-weights ----------------------------===//
//
// Encodes the constant weights of linalg.matmul ops with the numeric core's
// quantizers (RTN, GPTQ over uniform, PVQ and binary codes) and replaces each
// matmul by lq.constant + lq.matmul.
//
//===----------------------------------------------------------------------===//
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/IR/LQStorage.h"
#include "lq/Dialect/LQ/Transforms/Passes.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Numerics/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQQUANTIZEWEIGHTS
#include "lq/Dialect/LQ/Transforms/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;

namespace {

/// The `[N, K]` view of a matmul's constant weight.
struct MatmulWeight {
  std::vector<float> values; // row-major [N, K]
  int64_t rows, cols;
};

struct QuantizeWeightsPass
    : public mlir::lq::impl::LQQuantizeWeightsBase<QuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// The encoding the options ask for, for a weight with `cols` columns.
  FailureOr<::lq::Encoding> getEncoding(Operation *op, int64_t cols);
  LogicalResult quantize(linalg::MatmulOp op, unsigned index);
  /// Replaces `op` by lq.matmul of its input and the encoded weight `weight`.
  MatmulOp replaceByLQMatmul(linalg::MatmulOp op, Value weight);

  /// Weights already encoded, by (weight attribute, transposed-B): the same
  /// weight used by @forward and @decode is quantized once.
  llvm::DenseMap<std::pair<Attribute, int>, ConstantOp> encodedWeights;
};

} // namespace

FailureOr<::lq::Encoding> QuantizeWeightsPass::getEncoding(Operation *op, int64_t cols) {
  int64_t groupSize = group == 0 ? cols : group;
  if (method == "rtn" || method == "gptq")
    return ::lq::Encoding(::lq::UniformEncoding{bits, groupSize, symmetric});
  if (method == "pvq")
    return ::lq::Encoding(::lq::PVQEncoding{pvqDim, pvqPulses, pvqAmpBits, pvqAmpGroup});
  if (method == "binary")
    return ::lq::Encoding(::lq::BinaryEncoding{planes, groupSize});
  return op->emitError() << "unknown quantization method '" << method
                         << "' (expected rtn, gptq, pvq or binary)";
}

/// The constant `[N, K]` weight of `op`, transposed from `[K, N]` for a
/// plain matmul; failure (with no diagnostic) when B is not a constant.
static FailureOr<MatmulWeight> getConstantWeight(linalg::MatmulOp op, bool transposedB,
                                                 bool &unsupported) {
  unsupported = false;
  Value b = op.getDpsInputOperand(1)->get();
  auto constant = b.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return failure();
  auto attr = llvm::dyn_cast<ElementsAttr>(constant.getValue());
  if (!attr)
    return failure();
  FailureOr<std::vector<float>> values = readFloats(attr);
  if (failed(values)) {
    unsupported = true;
    return failure();
  }
  auto type = llvm::cast<ShapedType>(attr.getType());
  MatmulWeight w;
  if (transposedB) {
    w.rows = type.getDimSize(0);
    w.cols = type.getDimSize(1);
    w.values = std::move(*values);
    return w;
  }
  w.rows = type.getDimSize(1);
  w.cols = type.getDimSize(0);
  w.values.resize(values->size());
  for (int64_t k = 0; k < w.cols; ++k)
    for (int64_t n = 0; n < w.rows; ++n)
      w.values[n * w.cols + k] = (*values)[k * w.rows + n];
  return w;
}

LogicalResult QuantizeWeightsPass::quantize(linalg::MatmulOp op, unsigned index) {
  auto role = op->getAttrOfType<StringAttr>("lq.role");
  bool transposedB = llvm::isa<linalg::MatmulTransposeBOp>(op.getOperation());
  if (!transposedB && !linalg::MatmulOp::isDefaultIndexingMaps(op.getIndexingMapsAttr())) {
    if (role)
      return op.emitError() << "linear '" << role.getValue()
                            << "' has indexing maps other than plain or transposed-B matmul";
    return success();
  }
  if (!op.hasPureTensorSemantics())
    return role ? op.emitError("expects a matmul on tensors") : success();
  if (role && llvm::is_contained(exclude, role.getValue()))
    return success();
  if (!roles.empty() && !(role && llvm::any_of(roles, [&](const std::string &prefix) {
        return role.getValue().starts_with(prefix);
      })))
    return success();
  Attribute weightAttr;
  if (auto c = op.getDpsInputOperand(1)->get().getDefiningOp<arith::ConstantOp>())
    weightAttr = c.getValue();
  if (auto it = encodedWeights.find({weightAttr, (int)transposedB});
      weightAttr && it != encodedWeights.end()) {
    OpBuilder builder(op);
    replaceByLQMatmul(op, builder.clone(*it->second)->getResult(0));
    return success();
  }

  bool unsupported;
  FailureOr<MatmulWeight> weight = getConstantWeight(op, transposedB, unsupported);
  if (unsupported)
    return op.emitError() << "weight element type "
                          << getElementTypeOrSelf(op.getDpsInputOperand(1)->get().getType())
                          << " is not supported (expected f32, f16 or bf16 data)";
  if (failed(weight)) {
    if (role)
      return op.emitError() << "the weight of linear '" << role.getValue()
                            << "' is not a constant";
    return success(); // activation x activation products (attention) stay.
  }

  auto resultType = llvm::cast<RankedTensorType>(op.getResultTypes()[0]);
  auto inputType = llvm::cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  if (!resultType.getElementType().isF32() || !inputType.getElementType().isF32())
    return op.emitError() << "only f32 activations are supported, got "
                          << inputType.getElementType() << " -> " << resultType.getElementType();

  FailureOr<::lq::Encoding> encoding = getEncoding(op, weight->cols);
  if (failed(encoding))
    return failure();
  if (std::optional<std::string> msg =
          ::lq::verifyEncoding(*encoding, weight->rows, weight->cols))
    return op.emitError() << "cannot encode the " << weight->rows << "x" << weight->cols
                          << " weight: " << *msg;

  // The Hessian X^T X attached by calibration, if any.
  std::vector<float> hessian;
  if (Attribute attr = op->getAttr("lq.hessian")) {
    auto elements = llvm::dyn_cast<ElementsAttr>(attr);
    auto type = elements ? llvm::dyn_cast<ShapedType>(elements.getType()) : ShapedType();
    if (!type || type.getShape() != ArrayRef<int64_t>{weight->cols, weight->cols})
      return op.emitError() << "lq.hessian must be a " << weight->cols << "x" << weight->cols
                            << " tensor, got " << attr;
    FailureOr<std::vector<float>> values = readFloats(elements);
    if (failed(values))
      return op.emitError("lq.hessian data is not readable f32/f16/bf16");
    hessian = std::move(*values);
  }

  ::lq::QuantizeOptions options;
  options.algorithm = method == "rtn" ? ::lq::QuantizeOptions::Algorithm::RTN
                                      : ::lq::QuantizeOptions::Algorithm::GPTQ;
  options.hessian = hessian.empty() ? nullptr : hessian.data();
  options.dampening = dampening;
  options.threads = threads;
  options.actOrder = actOrder;
  options.blockSize = blockSize;
  options.gridBits = gridBits;
  // GPTQT's scale re-exploration against the layer loss is lq-rescale's job.
  options.rescaleGrid = {1.0};
  if (hessian.empty() && method != "rtn")
    op.emitRemark() << "no lq.hessian statistics: " << method
                    << " runs with an identity Hessian (round-to-nearest feedback)";

  llvm::Expected<::lq::EncodedWeight> encoded =
      ::lq::quantizeWeight(weight->values.data(), weight->rows, weight->cols, *encoding, options);
  if (!encoded)
    return op.emitError() << "quantization failed: " << llvm::toString(encoded.takeError());

  MLIRContext *ctx = op.getContext();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto weightType = WeightType::get(ctx, weight->rows, weight->cols,
                                    getEncodingAttr(ctx, *encoding));
  FailureOr<StorageShapes> shapes = getStorageShapes(*encoding, weight->rows, weight->cols);
  if (failed(shapes))
    return op.emitError("cannot compute the storage layout");
  std::string prefix = role ? role.getValue().str() : llvm::formatv("matmul{0}", index).str();
  Type i8 = builder.getI8Type(), f16 = builder.getF16Type();
  auto resource = [&](StringRef suffix, ArrayRef<int64_t> shape, Type elementType,
                      auto values) -> ElementsAttr {
    return makeResource(RankedTensorType::get(shape, elementType), prefix + "." + suffix.str(),
                        llvm::ArrayRef(values));
  };
  ElementsAttr codes = resource("codes", shapes->codes, i8, encoded->codes);
  ElementsAttr scales = resource("scales", shapes->scales, f16, encoded->scales);
  ElementsAttr zeroPoints, amplitudes, offsets;
  if (shapes->zeroPoints)
    zeroPoints = resource("zero_points", *shapes->zeroPoints, i8, encoded->zeroPoints);
  if (shapes->amplitudes)
    amplitudes = resource("amplitudes", *shapes->amplitudes, i8, encoded->amplitudes);
  if (shapes->offsets)
    offsets = resource("offsets", *shapes->offsets, f16, encoded->offsets);
  auto constant =
      ConstantOp::create(builder, loc, weightType, codes, scales, zeroPoints, amplitudes, offsets);
  if (failed(mlir::verify(constant))) // encoder and layout must agree; never emit bad IR.
    return failure();
  if (keepReference) {
    constant->setAttr("lq.reference",
                      resource("reference", {weight->rows, weight->cols}, builder.getF32Type(),
                               weight->values));
    if (Attribute h = op->getAttr("lq.hessian"))
      constant->setAttr("lq.hessian", h);
  }

  encodedWeights[{weightAttr, (int)transposedB}] = constant;
  MatmulOp matmul = replaceByLQMatmul(op, constant);
  if (report) {
    std::vector<float> decoded = ::lq::decodeWeight(*encoding, *encoded);
    double err = 0, ref = 0;
    for (size_t i = 0; i < decoded.size(); ++i) {
      double d = decoded[i] - weight->values[i];
      err += d * d;
      ref += (double)weight->values[i] * weight->values[i];
    }
    double loss = ::lq::layerLoss(weight->values.data(), decoded.data(), weight->rows,
                                  weight->cols, options.hessian);
    matmul.emitRemark() << llvm::formatv(
        "{0} {1}x{2}: {3:F4} bits/weight, relative error {4:E3}, layer loss {5:E3}", prefix,
        weight->rows, weight->cols, weightType.getBitsPerWeight(),
        ref > 0 ? std::sqrt(err / ref) : 0.0, loss);
  }
  return success();
}

MatmulOp QuantizeWeightsPass::replaceByLQMatmul(linalg::MatmulOp op, Value weight) {
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto resultType = llvm::cast<RankedTensorType>(op.getResultTypes()[0]);
  Value input = op.getDpsInputOperand(0)->get();
  auto matmul =
      MatmulOp::create(builder, loc, resultType, input, weight, IntegerAttr(), FloatAttr());
  // The role, and the input statistics lq-quantize-activations{static=true}
  // chooses ranges from (the weight's statistics go).
  for (StringRef name : {"lq.role", "lq.act_absmax", "lq.act_hist"})
    if (Attribute a = op->getAttr(name))
      matmul->setAttr(name, a);
  Value result = matmul;
  Value init = op.getDpsInitOperand(0)->get();
  if (!matchPattern(init, m_Op<linalg::FillOp>(m_AnyZeroFloat(), matchers::m_Any())))
    result = arith::AddFOp::create(builder, loc, init, result);
  op->getResult(0).replaceAllUsesWith(result);
  // The float weight and the zero-filled init go with the matmul when
  // nothing else uses them: a quantized module holds its codes, not also the
  // weights they came from.
  SmallVector<Operation *> producers;
  for (Value operand : op->getOperands())
    if (Operation *def = operand.getDefiningOp())
      producers.push_back(def);
  op.erase();
  while (!producers.empty()) {
    Operation *def = producers.pop_back_val();
    if (!isOpTriviallyDead(def))
      continue;
    for (Value operand : def->getOperands())
      if (Operation *next = operand.getDefiningOp())
        producers.push_back(next);
    def->erase();
  }
  return matmul;
}

void QuantizeWeightsPass::runOnOperation() {
  ModuleOp module = getOperation();
  // Reject bad options once, up front, through the encoding attribute's own
  // verifier (shape-dependent checks follow per weight).
  FailureOr<::lq::Encoding> encoding = getEncoding(module, /*cols=*/std::max<int64_t>(group, 1));
  if (failed(encoding) ||
      !getEncodingAttr(module.getContext(), *encoding, [&] { return module.emitError(); }))
    return signalPassFailure();
  if (!(dampening >= 0 && dampening <= 1)) {
    module.emitError() << "dampening must be in [0, 1] (a fraction of the Hessian's mean "
                          "diagonal), got "
                       << (double)dampening;
    return signalPassFailure();
  }
  if (blockSize < 1) {
    module.emitError() << "block-size must be at least 1, got " << (int64_t)blockSize;
    return signalPassFailure();
  }
  SmallVector<linalg::MatmulOp> matmuls;
  module.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
  // A weight shared by several matmuls is encoded once, from the use that
  // carries calibration statistics when one does.
  std::stable_partition(matmuls.begin(), matmuls.end(),
                        [](linalg::MatmulOp op) { return op->hasAttr("lq.hessian"); });
  bool failedAny = false;
  for (auto [i, op] : llvm::enumerate(matmuls))
    failedAny |= failed(quantize(op, i));
  if (failedAny)
    signalPassFailure();
}
