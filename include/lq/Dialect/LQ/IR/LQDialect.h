//===- LQDialect.h - the lq dialect -----------------------------*- C++ -*-===//
#ifndef LQ_DIALECT_LQ_IR_LQDIALECT_H
#define LQ_DIALECT_LQ_IR_LQDIALECT_H

#include "lq/Numerics/Quantize.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "lq/Dialect/LQ/IR/LQDialect.h.inc"
#include "lq/Dialect/LQ/IR/LQAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "lq/Dialect/LQ/IR/LQAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "lq/Dialect/LQ/IR/LQTypes.h.inc"

#include "lq/Dialect/LQ/IR/LQOpInterfaces.h.inc"

#define GET_OP_CLASSES
#include "lq/Dialect/LQ/IR/LQOps.h.inc"

namespace mlir::lq {
/// The encoding attribute for a numeric-library encoding value.
WeightEncodingAttrInterface getEncodingAttr(MLIRContext *ctx, const ::lq::Encoding &enc);
/// As above, reporting an inconsistent encoding through `emitError` and
/// returning null instead of asserting.
WeightEncodingAttrInterface getEncodingAttr(MLIRContext *ctx, const ::lq::Encoding &enc,
                                            function_ref<InFlightDiagnostic()> emitError);
/// The C x C matrix M with which a mergeable transform maps the last
/// dimension: y = x * M. Fails for residual_scale (dynamic) and for
/// parameters whose values cannot be read.
FailureOr<std::vector<double>> getTransformMatrix(FunctionPreservingTransformOpInterface op);

} // namespace mlir::lq

#endif // LQ_DIALECT_LQ_IR_LQDIALECT_H
