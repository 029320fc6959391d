//===- LQTypes.td - lq types --------------------------------*- tablegen -*-===//
#ifndef LQ_TYPES_TD
#define LQ_TYPES_TD

include "lq/Dialect/LQ/IR/LQDialect.td"
include "lq/Dialect/LQ/IR/LQInterfaces.td"
include "mlir/IR/AttrTypeBase.td"

def LQ_WeightType : TypeDef<LQ_Dialect, "Weight"> {
  let mnemonic = "weight";
  let summary = "An encoded [N, K] weight matrix";
  let description = [{
    A weight matrix of N output rows and K reduction columns held in a low-bit
    encoding. The type verifies that the encoding fits the shape (group sizes
    and PVQ dimensions divide K, ...). It decodes to `tensor<NxKxf32>`.

    ```mlir
    !lq.weight<4096x4096, #lq.uniform<bits = 4, group = 128, symmetric = true>>
    ```
  }];
  let parameters = (ins "int64_t":$rows, "int64_t":$cols,
                        "::mlir::lq::WeightEncodingAttrInterface":$encoding);
  let genVerifyDecl = 1;
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    /// Exact storage bits per weight, scales and amplitudes included.
    double getBitsPerWeight() const;
    /// The decoded float tensor type `tensor<NxKxf32>`.
    ::mlir::RankedTensorType getDecodedType() const;
  }];
}

#endif // LQ_TYPES_TD
