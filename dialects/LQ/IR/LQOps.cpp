//===- LQOps.cpp - lq operations: verifiers and folders --------------------===//
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/IR/LQStorage.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lq;

#define GET_OP_CLASSES
#include "lq/Dialect/LQ/IR/LQOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A `dense_resource` whose blob is loaded must hold exactly the bytes its
/// type describes: a shorter blob would be read past its end, a longer one
/// is a mismatch between the weight and its type. Checks every elements
/// attribute of `op`.
static LogicalResult verifyBlobSizes(Operation *op) {
  for (NamedAttribute named : op->getAttrs()) {
    auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(named.getValue());
    if (!resource)
      continue;
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    Type elementType = resource.getElementType();
    if (!blob || !elementType.isIntOrFloat())
      continue;
    uint64_t expected = (uint64_t)resource.getNumElements() *
                        llvm::divideCeil(elementType.getIntOrFloatBitWidth(), 8);
    if (blob->getData().size() != expected)
      return op->emitOpError() << named.getName().strref() << " blob '"
                               << resource.getRawHandle().getKey() << "' holds "
                               << blob->getData().size() << " bytes, but its type "
                               << resource.getType() << " needs " << expected;
  }
  return success();
}

/// Checks that `attr` (when given) is a tensor of `elementType` and `shape`.
static LogicalResult verifyStorageTensor(Operation *op, StringRef name, ElementsAttr attr,
                                         ArrayRef<int64_t> shape, Type elementType) {
  auto type = llvm::dyn_cast<RankedTensorType>(attr.getType());
  if (!type || type.getShape() != shape || type.getElementType() != elementType) {
    auto diag = op->emitOpError() << "expects " << name << " of type "
                                  << RankedTensorType::get(shape, elementType) << ", got "
                                  << attr.getType();
    return diag;
  }
  return success();
}

/// Reads a float ElementsAttr (any float width) as doubles. Resources whose
/// blob is not loaded read as empty, and the checks that need values are
/// skipped then (the shape checks still apply).
static std::optional<SmallVector<double>> readFloats(ElementsAttr attr) {
  if (!llvm::isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  auto values = attr.tryGetValues<APFloat>();
  if (!values)
    return std::nullopt;
  SmallVector<double> out;
  out.reserve(attr.getNumElements());
  for (APFloat v : *values)
    out.push_back(v.convertToDouble());
  return out;
}

static FailureOr<int64_t> lastDimOf(Operation *op, Value v) {
  auto type = llvm::cast<RankedTensorType>(v.getType());
  if (type.getRank() < 1 || type.isDynamicDim(type.getRank() - 1))
    return op->emitOpError() << "expects a static last (channel) dimension, got " << type;
  return type.getDimSize(type.getRank() - 1);
}

/// The shape of `type` with its last dimension replaced by `last`.
static SmallVector<int64_t> withLastDim(RankedTensorType type, int64_t last) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = last;
  return shape;
}

static bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (x != y && !ShapedType::isDynamic(x) && !ShapedType::isDynamic(y))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (failed(verifyBlobSizes(*this)))
    return failure();
  auto type = getResult().getType();
  MLIRContext *ctx = getContext();
  Type i8 = IntegerType::get(ctx, 8), f16 = Float16Type::get(ctx);
  FailureOr<StorageShapes> shapes =
      getStorageShapes(type.getEncoding().getNumericEncoding(), type.getRows(), type.getCols());
  if (failed(shapes))
    return emitOpError("cannot compute the storage layout of ") << type;
  if (failed(verifyStorageTensor(*this, "codes", getCodes(), shapes->codes, i8)) ||
      failed(verifyStorageTensor(*this, "scales", getScales(), shapes->scales, f16)))
    return failure();
  auto checkOptional = [&](StringRef name, std::optional<ElementsAttr> attr,
                           std::optional<SmallVector<int64_t>> expected,
                           Type elementType) -> LogicalResult {
    if (!expected && attr)
      return emitOpError() << "the " << type.getEncoding() << " encoding takes no " << name;
    if (expected && !attr)
      return emitOpError() << "the " << type.getEncoding() << " encoding needs " << name;
    if (attr)
      return verifyStorageTensor(*this, name, *attr, *expected, elementType);
    return success();
  };
  return success(succeeded(checkOptional("zero_points", getZeroPoints(), shapes->zeroPoints, i8)) &&
                 succeeded(checkOptional("amplitudes", getAmplitudes(), shapes->amplitudes, i8)) &&
                 succeeded(checkOptional("offsets", getOffsets(), shapes->offsets, f16)));
}

//===----------------------------------------------------------------------===//
// DecodeOp / MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult DecodeOp::verify() {
  auto weight = getWeight().getType();
  auto result = getResult().getType();
  if (result != weight.getDecodedType())
    return emitOpError() << "decodes " << weight << " to " << weight.getDecodedType()
                         << ", not " << result;
  return success();
}

/// A static activation scale divides every value: it must be a positive,
/// finite (and normal, so 1/scale is finite) float.
static LogicalResult verifyStaticScale(Operation *op, const APFloat &scale) {
  if (scale.isNegative() || !scale.isFiniteNonZero() || scale.isDenormal())
    return op->emitOpError() << "static activation scale must be a positive normal float, got "
                             << scale.convertToDouble();
  return success();
}

LogicalResult MatmulOp::verify() {
  auto input = getInput().getType();
  auto result = getResult().getType();
  WeightType weight = getWeight().getType();
  if (input.getRank() < 1)
    return emitOpError("expects an input of rank >= 1");
  if (!input.getElementType().isF32() || !result.getElementType().isF32())
    return emitOpError("expects f32 input and result, got ")
           << input.getElementType() << " and " << result.getElementType();
  int64_t k = input.getDimSize(input.getRank() - 1);
  if (!ShapedType::isDynamic(k) && k != weight.getCols())
    return emitOpError() << "input reduction dimension " << k << " does not match the weight's "
                         << weight.getCols();
  if (!shapesCompatible(result.getShape(), withLastDim(input, weight.getRows())))
    return emitOpError() << "result type " << result << " does not match [..., "
                         << weight.getRows() << "] for input " << input;
  if (std::optional<APFloat> scale = getActScale()) {
    if (!getActBits())
      return emitOpError("has a static activation scale but no act(bits)");
    if (failed(verifyStaticScale(*this, *scale)))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Activation and KV quantization
//===----------------------------------------------------------------------===//

/// Verifies codes/scales against the float tensor of a per-row quantization.
static LogicalResult verifyPerRowQuant(Operation *op, RankedTensorType floatType,
                                       RankedTensorType codesType, RankedTensorType scalesType,
                                       int64_t codesLastDim) {
  if (floatType.getRank() < 1)
    return op->emitOpError("expects a float tensor of rank >= 1");
  if (!floatType.getElementType().isF32())
    return op->emitOpError("expects f32 values, got ") << floatType.getElementType();
  if (!codesType.getElementType().isInteger(8) ||
      !shapesCompatible(codesType.getShape(), withLastDim(floatType, codesLastDim)))
    return op->emitOpError() << "codes type " << codesType << " does not match "
                             << floatType << " (i8, last dimension " << codesLastDim << ")";
  if (!scalesType.getElementType().isF32() ||
      !shapesCompatible(scalesType.getShape(), withLastDim(floatType, 1)))
    return op->emitOpError() << "per-token scales type " << scalesType
                             << " must be f32 with the shape of " << floatType
                             << " and a last dimension of 1";
  return success();
}

LogicalResult QuantizeOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError("expects a tensor of rank >= 1");
  if (std::optional<APFloat> scale = getStaticScale())
    if (failed(verifyStaticScale(*this, *scale)))
      return failure();
  return verifyPerRowQuant(*this, input, getCodes().getType(), getScales().getType(),
                           input.getDimSize(input.getRank() - 1));
}

LogicalResult DequantizeOp::verify() {
  auto result = getResult().getType();
  if (result.getRank() < 1)
    return emitOpError("expects a tensor of rank >= 1");
  return verifyPerRowQuant(*this, result, getCodes().getType(), getScales().getType(),
                           result.getDimSize(result.getRank() - 1));
}

/// Shared checks of the KV ops: `[T, C]` floats, packed codes, per-token
/// scale and zero, optional `[C]` channel scale.
static LogicalResult verifyKV(Operation *op, RankedTensorType floatType, Value codes,
                              Value scales, Value zeros, Value channelScale, int64_t bits) {
  if (8 % bits != 0)
    return op->emitOpError() << "KV codes of " << bits
                             << " bits do not pack into whole bytes (use 2, 4 or 8)";
  if (floatType.getRank() != 2)
    return op->emitOpError() << "expects [tokens, channels] values, got " << floatType;
  FailureOr<int64_t> c = lastDimOf(op, op->getResult(0).getType() == floatType
                                           ? op->getResult(0)
                                           : op->getOperand(0));
  if (failed(c))
    return failure();
  int64_t packed = llvm::divideCeil(*c * bits, 8);
  auto codesType = llvm::cast<RankedTensorType>(codes.getType());
  if (failed(verifyPerRowQuant(op, floatType, codesType,
                               llvm::cast<RankedTensorType>(scales.getType()), packed)))
    return failure();
  if (scales.getType() != zeros.getType())
    return op->emitOpError("expects scales and zeros of the same type");
  if (channelScale) {
    auto csType = llvm::cast<RankedTensorType>(channelScale.getType());
    if (csType.getRank() != 1 || csType.getDimSize(0) != *c || !csType.getElementType().isF32())
      return op->emitOpError() << "channel scale must be tensor<" << *c << "xf32>, got "
                               << csType;
  }
  return success();
}

LogicalResult KVQuantizeOp::verify() {
  if (std::optional<APFloat> clip = getClip()) {
    double c = clip->convertToDouble();
    if (!(c > 0.0 && c <= 1.0))
      return emitOpError() << "clip must be in (0, 1], got " << getClipAttr();
  }
  return verifyKV(*this, getInput().getType(), getCodes(), getScales(), getZeros(),
                  getChannelScale(), getBits());
}

LogicalResult KVDequantizeOp::verify() {
  return verifyKV(*this, getResult().getType(), getCodes(), getScales(), getZeros(),
                  getChannelScale(), getBits());
}

//===----------------------------------------------------------------------===//
// Function-preserving transforms
//===----------------------------------------------------------------------===//

/// T followed by T^-1 on the same value is the identity.
static OpFoldResult foldInversePair(FunctionPreservingTransformOpInterface op) {
  auto prev = op.getInput().getDefiningOp<FunctionPreservingTransformOpInterface>();
  if (prev && prev.isInverseOf(op))
    return prev.getInput();
  return {};
}

/// Verifies a 1-D or N-D float parameter attribute has `shape`.
static LogicalResult verifyParam(Operation *op, StringRef name, ElementsAttr attr,
                                 ArrayRef<int64_t> shape) {
  auto type = llvm::dyn_cast<ShapedType>(attr.getType());
  if (!type || !llvm::isa<FloatType>(type.getElementType()) || type.getShape() != shape)
    return op->emitOpError() << "expects " << name << " to be a float tensor of type "
                             << RankedTensorType::get(shape, Float32Type::get(op->getContext()))
                             << " (any float width), got " << attr.getType();
  return success();
}

// scale ----------------------------------------------------------------------

LogicalResult FPTScaleOp::verify() {
  if (failed(verifyBlobSizes(*this)))
    return failure();
  FailureOr<int64_t> c = lastDimOf(*this, getInput());
  if (failed(c) || failed(verifyParam(*this, "scale", getScale(), {*c})))
    return failure();
  if (auto values = readFloats(getScale()))
    for (auto [i, v] : llvm::enumerate(*values))
      if (!std::isfinite(v) || v == 0.0)
        return emitOpError() << "scale[" << i << "] = " << v
                             << " is not invertible (must be finite and non-zero)";
  return success();
}

bool FPTScaleOp::isMergeable() { return true; }
bool FPTScaleOp::isInverseOf(Operation *other) {
  auto o = llvm::dyn_cast<FPTScaleOp>(other);
  return o && o.getScale() == getScale() && o.getInverse() != getInverse();
}
OpFoldResult FPTScaleOp::fold(FoldAdaptor) { return foldInversePair(*this); }

// rotate ---------------------------------------------------------------------

LogicalResult FPTRotateOp::verify() {
  if (failed(verifyBlobSizes(*this)))
    return failure();
  FailureOr<int64_t> c = lastDimOf(*this, getInput());
  if (failed(c))
    return failure();
  if (!getMatrix()) {
    int64_t block = getBlock().value_or(*c);
    if (block <= 0 || *c % block != 0 || !llvm::isPowerOf2_64(block))
      return emitOpError() << "a Hadamard rotation needs a power-of-two block dividing the "
                              "channel count, got block "
                           << block << " for " << *c << " channels";
    return success();
  }
  if (getBlock())
    return emitOpError() << "'block' applies to the Hadamard form only (no 'matrix')";
  if (failed(verifyParam(*this, "matrix", *getMatrix(), {*c, *c})))
    return failure();
  std::optional<SmallVector<double>> r = readFloats(*getMatrix());
  if (!r)
    return success();
  // R R^T = I; checking every row's norm and each row against its successor
  // keeps the verifier O(C^2) for large rotations.
  int64_t n = *c;
  auto rowDot = [&](int64_t i, int64_t j) {
    double dot = 0;
    for (int64_t k = 0; k < n; ++k)
      dot += (*r)[i * n + k] * (*r)[j * n + k];
    return dot;
  };
  for (int64_t i = 0; i < n; ++i) {
    if (double norm = rowDot(i, i); std::abs(norm - 1.0) > 1e-3)
      return emitOpError() << "matrix is not orthogonal: row " << i << " has squared norm "
                           << norm;
    if (n > 1)
      if (double dot = rowDot(i, (i + 1) % n); std::abs(dot) > 1e-3)
        return emitOpError() << "matrix is not orthogonal: rows " << i << " and "
                             << (i + 1) % n << " have dot product " << dot;
  }
  return success();
}

bool FPTRotateOp::isMergeable() { return !getOnline(); }
bool FPTRotateOp::isInverseOf(Operation *other) {
  // An online rotation and its merged partner must survive as a pair.
  auto o = llvm::dyn_cast<FPTRotateOp>(other);
  return o && o.getMatrixAttr() == getMatrixAttr() && o.getBlockAttr() == getBlockAttr() &&
         !o.getOnline() && !getOnline() && o.getInverse() != getInverse();
}
OpFoldResult FPTRotateOp::fold(FoldAdaptor) { return foldInversePair(*this); }

// linear ---------------------------------------------------------------------

LogicalResult FPTLinearOp::verify() {
  if (failed(verifyBlobSizes(*this)))
    return failure();
  FailureOr<int64_t> c = lastDimOf(*this, getInput());
  if (failed(c))
    return failure();
  auto type = llvm::dyn_cast<ShapedType>(getMatrix().getType());
  if (!type || type.getRank() != 3 || type.getDimSize(1) != type.getDimSize(2) ||
      type.getDimSize(0) * type.getDimSize(1) != *c)
    return emitOpError() << "expects matrix of shape [heads, d, d] with heads * d = " << *c
                         << ", got " << getMatrix().getType();
  ArrayRef<int64_t> shape = type.getShape();
  if (failed(verifyParam(*this, "matrix", getMatrix(), shape)) ||
      failed(verifyParam(*this, "inverse_matrix", getInverseMatrix(), shape)))
    return failure();
  auto t = readFloats(getMatrix()), tinv = readFloats(getInverseMatrix());
  if (!t || !tinv)
    return success();
  int64_t heads = shape[0], d = shape[1];
  for (int64_t h = 0; h < heads; ++h) {
    const double *a = t->data() + h * d * d, *b = tinv->data() + h * d * d;
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < d; ++j) {
        double dot = 0;
        for (int64_t k = 0; k < d; ++k)
          dot += a[i * d + k] * b[k * d + j];
        if (std::abs(dot - (i == j ? 1.0 : 0.0)) > 1e-3)
          return emitOpError() << "inverse_matrix is not the inverse of matrix: (T * T^-1)[" << h
                               << "][" << i << "][" << j << "] = " << dot;
      }
  }
  return success();
}

bool FPTLinearOp::isMergeable() { return true; }
bool FPTLinearOp::isInverseOf(Operation *other) {
  auto o = llvm::dyn_cast<FPTLinearOp>(other);
  if (!o)
    return false;
  bool same = o.getMatrix() == getMatrix() && o.getInverseMatrix() == getInverseMatrix();
  bool swapped = o.getMatrix() == getInverseMatrix() && o.getInverseMatrix() == getMatrix();
  return (same && o.getInverse() != getInverse()) || (swapped && o.getInverse() == getInverse());
}
OpFoldResult FPTLinearOp::fold(FoldAdaptor) { return foldInversePair(*this); }

// rope_scale -----------------------------------------------------------------

LogicalResult FPTRopeScaleOp::verify() {
  if (failed(verifyBlobSizes(*this)))
    return failure();
  FailureOr<int64_t> c = lastDimOf(*this, getInput());
  if (failed(c))
    return failure();
  auto type = llvm::dyn_cast<ShapedType>(getScales().getType());
  if (!type || type.getRank() != 2 || type.getDimSize(0) * type.getDimSize(1) * 2 != *c)
    return emitOpError() << "expects scales of shape [heads, d/2] with heads * d = " << *c
                         << ", got " << getScales().getType();
  if (failed(verifyParam(*this, "scales", getScales(), type.getShape())) ||
      failed(verifyParam(*this, "angles", getAngles(), type.getShape())))
    return failure();
  if (auto values = readFloats(getScales()))
    for (auto [i, v] : llvm::enumerate(*values))
      if (!std::isfinite(v) || v == 0.0)
        return emitOpError() << "scales[" << i << "] = " << v
                             << " is not invertible (must be finite and non-zero)";
  if (auto values = readFloats(getAngles()))
    for (auto [i, v] : llvm::enumerate(*values))
      if (!std::isfinite(v))
        return emitOpError() << "angles[" << i << "] is not finite";
  return success();
}

bool FPTRopeScaleOp::isMergeable() { return true; }
bool FPTRopeScaleOp::isInverseOf(Operation *other) {
  auto o = llvm::dyn_cast<FPTRopeScaleOp>(other);
  return o && o.getScales() == getScales() && o.getAngles() == getAngles() &&
         o.getTranspose() == getTranspose() && o.getInverse() != getInverse();
}
OpFoldResult FPTRopeScaleOp::fold(FoldAdaptor) { return foldInversePair(*this); }

// residual_scale -------------------------------------------------------------

LogicalResult FPTResidualScaleOp::verify() {
  auto input = getInput().getType();
  auto scaler = getScaler().getType();
  if (input.getRank() < 1 || !shapesCompatible(scaler.getShape(), withLastDim(input, 1)) ||
      scaler.getElementType() != input.getElementType())
    return emitOpError() << "expects a per-token scaler of the shape of " << input
                         << " with a last dimension of 1, got " << scaler;
  return success();
}

bool FPTResidualScaleOp::isMergeable() { return false; }
bool FPTResidualScaleOp::isInverseOf(Operation *other) {
  auto o = llvm::dyn_cast<FPTResidualScaleOp>(other);
  return o && o.getScaler() == getScaler() && o.getInverse() != getInverse();
}
OpFoldResult FPTResidualScaleOp::fold(FoldAdaptor) { return foldInversePair(*this); }

//===----------------------------------------------------------------------===//
// Transform matrices
//===----------------------------------------------------------------------===//

FailureOr<std::vector<double>>
mlir::lq::getTransformMatrix(FunctionPreservingTransformOpInterface op) {
  auto type = llvm::cast<RankedTensorType>(op.getInput().getType());
  int64_t c = type.getDimSize(type.getRank() - 1);
  std::vector<double> m(c * c, 0.0);
  auto at = [&](int64_t i, int64_t j) -> double & { return m[i * c + j]; };
  Operation *raw = op.getOperation();
  if (auto scale = llvm::dyn_cast<FPTScaleOp>(raw)) {
    auto s = readFloats(scale.getScale());
    if (!s)
      return failure();
    for (int64_t i = 0; i < c; ++i)
      at(i, i) = scale.getInverse() ? 1.0 / (*s)[i] : (*s)[i];
    return m;
  }
  if (auto rotate = llvm::dyn_cast<FPTRotateOp>(raw)) {
    if (!rotate.getMatrix()) {
      // Normalised Walsh-Hadamard blocks: symmetric and orthogonal, their
      // own inverse.
      int64_t block = rotate.getBlock().value_or(c);
      double norm = 1.0 / std::sqrt((double)block);
      for (int64_t b0 = 0; b0 < c; b0 += block)
        for (int64_t i = 0; i < block; ++i)
          for (int64_t j = 0; j < block; ++j)
            at(b0 + i, b0 + j) = (llvm::popcount((uint64_t)(i & j)) % 2 ? -norm : norm);
      return m;
    }
    auto r = readFloats(*rotate.getMatrix());
    if (!r)
      return failure();
    for (int64_t i = 0; i < c; ++i)
      for (int64_t j = 0; j < c; ++j)
        at(i, j) = rotate.getInverse() ? (*r)[j * c + i] : (*r)[i * c + j];
    return m;
  }
  if (auto linear = llvm::dyn_cast<FPTLinearOp>(raw)) {
    auto t = readFloats(linear.getInverse() ? linear.getInverseMatrix() : linear.getMatrix());
    if (!t)
      return failure();
    auto shape = llvm::cast<ShapedType>(linear.getMatrix().getType()).getShape();
    int64_t heads = shape[0], d = shape[1];
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < d; ++j)
          at(h * d + i, h * d + j) = (*t)[(h * d + i) * d + j];
    return m;
  }
  if (auto rope = llvm::dyn_cast<FPTRopeScaleOp>(raw)) {
    auto scales = readFloats(rope.getScales()), angles = readFloats(rope.getAngles());
    if (!scales || !angles)
      return failure();
    auto shape = llvm::cast<ShapedType>(rope.getScales().getType()).getShape();
    int64_t heads = shape[0], half = shape[1], d = 2 * half;
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < half; ++i) {
        double scale = (*scales)[h * half + i], phi = (*angles)[h * half + i];
        // M = c R(phi); M^-1 = (1/c) R(-phi); M^T = c R(-phi).
        if (rope.getInverse())
          scale = 1.0 / scale, phi = -phi;
        if (rope.getTranspose())
          phi = -phi;
        int64_t a = h * d + i, b = a + half;
        // y = x * M for the row vector (x_a, x_b): y_a = c(cos x_a - sin x_b),
        // y_b = c(sin x_a + cos x_b).
        at(a, a) = scale * std::cos(phi);
        at(b, a) = -scale * std::sin(phi);
        at(a, b) = scale * std::sin(phi);
        at(b, b) = scale * std::cos(phi);
      }
    return m;
  }
  return failure(); // residual_scale is dynamic: no matrix.
}
