//===- LQInterfaces.td - lq attribute and op interfaces -----*- tablegen -*-===//
#ifndef LQ_INTERFACES_TD
#define LQ_INTERFACES_TD

include "mlir/IR/OpBase.td"

def LQ_WeightEncodingAttrInterface : AttrInterface<"WeightEncodingAttrInterface"> {
  let cppNamespace = "::mlir::lq";
  let description = [{
    A low-bit encoding of an `[N, K]` weight matrix. It knows its numeric form
    (shared with the MLIR-free numeric library), its exact bits per weight and
    the shapes of the packed tensors an `lq.constant` must hold.
  }];
  let methods = [
    InterfaceMethod<"The encoding as the numeric library's value.",
      "::lq::Encoding", "getNumericEncoding">,
  ];
}

def LQ_FunctionPreservingTransformOpInterface
    : OpInterface<"FunctionPreservingTransformOpInterface"> {
  let cppNamespace = "::mlir::lq";
  let description = [{
    A function-preserving transform T (or its inverse) applied to the last
    dimension of a value. A pair T, T^-1 leaves the function unchanged; the
    mergeable ones are folded into the adjacent matmul weight by
    `lq-merge-fpt`.
  }];
  let methods = [
    InterfaceMethod<"Whether lq-merge-fpt can fold this transform into a weight.",
      "bool", "isMergeable">,
    InterfaceMethod<[{Whether `other` applies exactly the inverse of this
      transform (so the two compose to the identity).}],
      "bool", "isInverseOf", (ins "::mlir::Operation *":$other)>,
    InterfaceMethod<"The transformed value.", "::mlir::Value", "getInput">,
  ];
}

#endif // LQ_INTERFACES_TD
