//===- ElementsData.cpp - moving numbers in and out of ElementsAttr ---------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace mlir::lq;

FailureOr<ArrayRef<char>> mlir::lq::getRawBytes(ElementsAttr attr) {
  auto type = llvm::cast<ShapedType>(attr.getType());
  unsigned width = type.getElementTypeBitWidth();
  if (width % 8 != 0)
    return failure();
  size_t expected = (size_t)type.getNumElements() * (width / 8);
  ArrayRef<char> bytes;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat() && type.getNumElements() != 1)
      return failure();
    bytes = dense.getRawData();
  } else if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    bytes = blob->getData();
  } else {
    return failure();
  }
  if (bytes.size() != expected)
    return failure();
  return bytes;
}

FailureOr<std::vector<float>> mlir::lq::readFloats(ElementsAttr attr) {
  auto type = llvm::cast<ShapedType>(attr.getType());
  Type elementType = type.getElementType();
  if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16())
    return failure();
  std::vector<float> out(type.getNumElements());
  // Splats are cheaper to read through the attribute than as bytes.
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat()) {
    std::fill(out.begin(), out.end(), dense.getSplatValue<APFloat>().convertToFloat());
    return out;
  }
  FailureOr<ArrayRef<char>> bytes = getRawBytes(attr);
  if (failed(bytes))
    return failure();
  const char *p = bytes->data();
  if (elementType.isF32()) {
    std::memcpy(out.data(), p, out.size() * sizeof(float));
    return out;
  }
  const llvm::fltSemantics &sem =
      elementType.isF16() ? APFloat::IEEEhalf() : APFloat::BFloat();
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, p + 2 * i, 2);
    out[i] = APFloat(sem, APInt(16, bits)).convertToFloat();
  }
  return out;
}

DenseResourceElementsAttr mlir::lq::makeResource(ShapedType type, StringRef name,
                                                 ArrayRef<char> bytes) {
  unsigned width = type.getElementTypeBitWidth();
  size_t align = std::max<size_t>(width / 8, 1);
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align));
}

FailureOr<::lq::EncodedWeight> mlir::lq::readStorage(ConstantOp op) {
  WeightType type = op.getResult().getType();
  ::lq::EncodedWeight w;
  w.rows = type.getRows();
  w.cols = type.getCols();
  auto copy = [&](ElementsAttr attr, auto &out) -> LogicalResult {
    FailureOr<ArrayRef<char>> bytes = getRawBytes(attr);
    if (failed(bytes))
      return op.emitError("cannot read the packed data of ")
             << attr.getType() << " (blob missing or malformed)";
    using T = typename std::decay_t<decltype(out)>::value_type;
    out.resize(bytes->size() / sizeof(T));
    std::memcpy(out.data(), bytes->data(), bytes->size());
    return success();
  };
  if (failed(copy(op.getCodes(), w.codes)) || failed(copy(op.getScales(), w.scales)))
    return failure();
  if (auto a = op.getZeroPoints(); a && failed(copy(*a, w.zeroPoints)))
    return failure();
  if (auto a = op.getAmplitudes(); a && failed(copy(*a, w.amplitudes)))
    return failure();
  if (auto a = op.getOffsets(); a && failed(copy(*a, w.offsets)))
    return failure();
  return w;
}

FailureOr<DenseElementsAttr> mlir::lq::decodeWithLibrary(ConstantOp op) {
  FailureOr<::lq::EncodedWeight> storage = readStorage(op);
  if (failed(storage))
    return failure();
  WeightType type = op.getResult().getType();
  std::vector<float> values =
      ::lq::decodeWeight(type.getEncoding().getNumericEncoding(), *storage);
  return DenseElementsAttr::get(llvm::cast<ShapedType>(type.getDecodedType()),
                                llvm::ArrayRef(values));
}
