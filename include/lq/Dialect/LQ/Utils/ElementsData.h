//===- ElementsData.h - moving numbers in and out of ElementsAttr -*- C++ -*-===//
#ifndef LQ_DIALECT_LQ_UTILS_ELEMENTSDATA_H
#define LQ_DIALECT_LQ_UTILS_ELEMENTSDATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "lq/Numerics/Encoding.h"

#include <vector>

namespace mlir::lq {

/// The raw little-endian bytes of a dense or dense_resource attribute with a
/// fixed-width element type; fails for splats of more than one element,
/// resources whose blob is not loaded, and sizes that disagree with the type.
FailureOr<ArrayRef<char>> getRawBytes(ElementsAttr attr);

/// The safetensors dtype of `type`'s elements as they lie in memory ("F32",
/// "I8", ...); empty for types a safetensors file cannot hold.
StringRef safetensorsDType(Type type);

/// The values of an f32/f16/bf16 (dense or dense_resource) attribute as
/// floats, row-major. Fails for other element types.
FailureOr<std::vector<float>> readFloats(ElementsAttr attr);

/// A dense_resource attribute of `type` holding `bytes`, its blob named
/// `name` (made unique by the context's resource manager).
DenseResourceElementsAttr makeResource(ShapedType type, StringRef name, ArrayRef<char> bytes);

template <typename T>
DenseResourceElementsAttr makeResource(ShapedType type, StringRef name, ArrayRef<T> values) {
  return makeResource(type, name,
                      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                                     values.size() * sizeof(T)));
}

class ConstantOp;

/// The packed storage of an lq.constant, copied out of its attributes
/// (diagnosed on `op` when a blob is missing or malformed).
FailureOr<::lq::EncodedWeight> readStorage(ConstantOp op);

/// The f32 matrix an lq.constant stands for, decoded by the numeric
/// library's reference decoder.
FailureOr<DenseElementsAttr> decodeWithLibrary(ConstantOp op);

} // namespace mlir::lq

#endif // LQ_DIALECT_LQ_UTILS_ELEMENTSDATA_H
