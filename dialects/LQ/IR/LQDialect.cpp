//===- LQDialect.cpp - lq dialect, attributes and types --------------------===//
#include "lq/Dialect/LQ/IR/LQDialect.h"

#include "lq/Numerics/Quantize.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lq;

#include "lq/Dialect/LQ/IR/LQDialect.cpp.inc"
#include "lq/Dialect/LQ/IR/LQAttrInterfaces.cpp.inc"
#include "lq/Dialect/LQ/IR/LQOpInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "lq/Dialect/LQ/IR/LQAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "lq/Dialect/LQ/IR/LQTypes.cpp.inc"

void LQDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "lq/Dialect/LQ/IR/LQAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "lq/Dialect/LQ/IR/LQTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "lq/Dialect/LQ/IR/LQOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Encodings
//===----------------------------------------------------------------------===//

/// Checks an encoding on its own by asking the numeric library about the
/// smallest matrix every one of its groups fits, so the attribute and the
/// library share one definition of "consistent".
static LogicalResult verifyEncodingAlone(function_ref<InFlightDiagnostic()> emitError,
                                         const ::lq::Encoding &enc, int64_t cols) {
  if (cols <= 0)
    return emitError() << "group sizes must be positive";
  if (std::optional<std::string> msg = ::lq::verifyEncoding(enc, /*rows=*/1, cols))
    return emitError() << *msg;
  return success();
}

LogicalResult UniformEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                          unsigned bits, int64_t group, bool symmetric) {
  return verifyEncodingAlone(emitError, ::lq::UniformEncoding{bits, group, symmetric}, group);
}

::lq::Encoding UniformEncodingAttr::getNumericEncoding() const {
  return ::lq::UniformEncoding{getBits(), getGroup(), getSymmetric()};
}

LogicalResult PVQEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                      int64_t dim, int64_t pulses, unsigned ampBits,
                                      int64_t ampGroup) {
  return verifyEncodingAlone(emitError, ::lq::PVQEncoding{dim, pulses, ampBits, ampGroup},
                             ampGroup);
}

::lq::Encoding PVQEncodingAttr::getNumericEncoding() const {
  return ::lq::PVQEncoding{getDim(), getPulses(), getAmpBits(), getAmpGroup()};
}

LogicalResult BinaryEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                         unsigned planes, int64_t group) {
  return verifyEncodingAlone(emitError, ::lq::BinaryEncoding{planes, group}, group);
}

::lq::Encoding BinaryEncodingAttr::getNumericEncoding() const {
  return ::lq::BinaryEncoding{getPlanes(), getGroup()};
}

WeightEncodingAttrInterface
mlir::lq::getEncodingAttr(MLIRContext *ctx, const ::lq::Encoding &enc,
                          function_ref<InFlightDiagnostic()> emitError) {
  return std::visit(
      [&](const auto &e) -> WeightEncodingAttrInterface {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ::lq::UniformEncoding>)
          return UniformEncodingAttr::getChecked(emitError, ctx, e.bits, e.group, e.symmetric);
        else if constexpr (std::is_same_v<T, ::lq::PVQEncoding>)
          return PVQEncodingAttr::getChecked(emitError, ctx, e.dim, e.pulses, e.ampBits,
                                             e.ampGroup);
        else
          return BinaryEncodingAttr::getChecked(emitError, ctx, e.planes, e.group);
      },
      enc);
}

WeightEncodingAttrInterface mlir::lq::getEncodingAttr(MLIRContext *ctx,
                                                      const ::lq::Encoding &enc) {
  return getEncodingAttr(ctx, enc, [ctx] { return emitError(UnknownLoc::get(ctx)); });
}

//===----------------------------------------------------------------------===//
// WeightType
//===----------------------------------------------------------------------===//

LogicalResult WeightType::verify(function_ref<InFlightDiagnostic()> emitError, int64_t rows,
                                 int64_t cols, WeightEncodingAttrInterface encoding) {
  if (rows <= 0 || cols <= 0)
    return emitError() << "weight shape must be static and positive, got " << rows << "x"
                       << cols;
  if (!encoding)
    return emitError() << "weight needs an lq encoding attribute";
  if (std::optional<std::string> msg =
          ::lq::verifyEncoding(encoding.getNumericEncoding(), rows, cols))
    return emitError() << "encoding does not fit a " << rows << "x" << cols
                       << " weight: " << *msg;
  return success();
}

Type WeightType::parse(AsmParser &parser) {
  SmallVector<int64_t, 2> shape;
  Attribute encoding;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false, /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseAttribute(encoding) || parser.parseGreater())
    return {};
  if (shape.size() != 2) {
    parser.emitError(loc) << "weight must be 2-D (N x K), got rank " << shape.size();
    return {};
  }
  auto enc = llvm::dyn_cast<WeightEncodingAttrInterface>(encoding);
  if (!enc) {
    parser.emitError(loc) << "expected an lq weight encoding attribute, got " << encoding;
    return {};
  }
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), shape[0],
                    shape[1], enc);
}

void WeightType::print(AsmPrinter &printer) const {
  printer << "<" << getRows() << "x" << getCols() << ", ";
  printer.printAttribute(getEncoding());
  printer << ">";
}

double WeightType::getBitsPerWeight() const {
  return ::lq::bitsPerWeight(getEncoding().getNumericEncoding(), getRows(), getCols());
}

RankedTensorType WeightType::getDecodedType() const {
  return RankedTensorType::get({getRows(), getCols()}, Float32Type::get(getContext()));
}
