//===- Passes.td - quant-opt passes -------------------------*- tablegen -*-===//
#ifndef LQ_PASSES_TD
#define LQ_PASSES_TD

include "mlir/Pass/PassBase.td"

def LQQuantizeWeights : Pass<"lq-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Replace constant-weight matmuls by encoded weights and lq.matmul";
  let description = [{
    Every 2-D `linalg.matmul` (plain or transposed-B) whose weight operand is
    a constant (`arith.constant` with dense or `dense_resource` f32/f16/bf16
    data) becomes an `lq.constant` holding the encoded weight and an
    `lq.matmul`. The weight is viewed as `[N, K]`; a plain matmul's `[K, N]`
    operand is transposed first.

    Methods:
    - `rtn`: uniform codes, round to nearest;
    - `gptq`: uniform codes with GPTQ Hessian error feedback;
    - `pvq`: pyramid vector quantization with GPTQ feedback on decoded groups;
    - `binary`: GPTQT binary codes (linear grid of `grid-bits`, re-coded into
      `planes` sign planes) with GPTQ feedback; the scale re-exploration is
      the separate `lq-rescale` pass (quantize with `keep-reference=true`).

    The Hessian `X^T X` of a matmul's input is read from its `lq.hessian`
    attribute (`tensor<KxKxf32>`, attached by calibration). Without one the
    methods that use feedback run with an identity Hessian and the pass emits
    a remark saying so. Matmuls with a non-constant weight are left alone,
    unless they carry an `lq.role` (a named linear layer), which is an error.
    A matmul's `lq.role` names its resources. A weight used by several
    matmuls (e.g. in `@forward` and `@decode`) is encoded once, from the use
    carrying `lq.hessian` if any, and shared.
  }];
  let dependentDialects = ["::mlir::lq::LQDialect", "::mlir::arith::ArithDialect"];
  let options = [
    Option<"method", "method", "std::string", "\"rtn\"",
           "Quantization method: rtn, gptq, pvq or binary">,
    Option<"bits", "bits", "unsigned", "4", "Uniform code width (2-8)">,
    Option<"group", "group", "int64_t", "128",
           "Weights per scale along K for uniform and binary codes (0 = whole row)">,
    Option<"symmetric", "symmetric", "bool", "true", "Symmetric uniform codes">,
    Option<"pvqDim", "pvq-dim", "int64_t", "8", "PVQ group dimension D">,
    Option<"pvqPulses", "pvq-pulses", "int64_t", "6", "PVQ pulses K (L1 norm)">,
    Option<"pvqAmpBits", "pvq-amp-bits", "unsigned", "4", "PVQ amplitude bits">,
    Option<"pvqAmpGroup", "pvq-amp-group", "int64_t", "8",
           "Weights sharing one PVQ amplitude (a multiple of pvq-dim)">,
    Option<"planes", "planes", "unsigned", "3", "GPTQT binary planes">,
    Option<"gridBits", "grid-bits", "unsigned", "0",
           "GPTQT first-step linear grid bits (0 = planes + 1)">,
    Option<"dampening", "dampening", "double", "0.01",
           "GPTQ dampening as a fraction of the Hessian's mean diagonal">,
    Option<"actOrder", "act-order", "bool", "false",
           "GPTQ: quantize columns in order of decreasing Hessian diagonal">,
    Option<"blockSize", "block-size", "int64_t", "128", "GPTQ lazy-update block size">,
    Option<"report", "report", "bool", "false",
           "Emit a remark per weight: bits per weight, relative error, layer loss">,
    ListOption<"exclude", "exclude", "std::string",
               "Roles (`lq.role`) left in float, e.g. lm_head">,
    Option<"keepReference", "keep-reference", "bool", "false",
           "Attach the float weight (`lq.reference`) and its Hessian (`lq.hessian`) "
           "to each lq.constant, for passes that refine codes against it (lq-rescale)">,
  ];
}

def LQRescale : Pass<"lq-rescale", "::mlir::ModuleOp"> {
  let summary = "Re-explore the scale of GPTQT binary codes against the float weight";
  let description = [{
    GPTQT's re-exploration: after linear quantization and re-coding into
    binary planes, the first step's scale no longer fits. For every group of
    every `#lq.binary` `lq.constant` carrying its float weight
    (`lq.reference`, attached by `lq-quantize-weights{keep-reference=true}`),
    both GPTQT steps are redone with the scale times each factor of `grid`;
    a candidate replaces the group's codes only when it lowers the layer loss
    `tr(dW H dWᵀ)` of its row (H from the constant's `lq.hessian`, identity
    without one), so the loss never rises. The reference weight and Hessian
    are dropped afterwards. Constants of other encodings are left alone.

    ```mlir
    %w = lq.constant codes(...) scales(...) offsets(...)
           {lq.reference = dense_resource<q.reference> : tensor<64x128xf32>}
         : !lq.weight<64x128, #lq.binary<planes = 3, group = 32>>
    ```
  }];
  let dependentDialects = ["::mlir::lq::LQDialect"];
  let options = [
    ListOption<"grid", "grid", "double",
               "Candidate factors on the linear step's scale (each > 0)">,
    Option<"gridBits", "grid-bits", "unsigned", "0",
           "Bits of the linear step (0 = planes + 1)">,
    Option<"report", "report", "bool", "false",
           "Emit a remark per weight with the layer loss before and after">,
  ];
}

def LQExpand : Pass<"lq-expand", "::mlir::ModuleOp"> {
  let summary = "Rewrite lq ops to linalg, tensor and arith";
  let description = [{
    Gives every `lq` op its reference semantics in upstream dialects, so a
    quantized module lowers and runs through upstream passes. Encoded weights
    are decoded at run time from their packed codes (`linalg.generic` bodies
    that extract bit fields, walk the PVQ enumeration, sum binary planes);
    `lq.matmul` becomes decode + a transposed-B contraction; activation and
    KV quantization become per-row reductions and element-wise maps; the
    function-preserving transforms become multiplications by their matrices.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"libraryDecode", "library-decode", "bool", "false",
           "Decode weights at compile time with the numeric library's reference "
           "decoder (as lq-fold-decode) instead of emitting decoding IR">,
  ];
}

def LQFoldDecode : Pass<"lq-fold-decode", "::mlir::ModuleOp"> {
  let summary = "Constant-fold lq.decode of lq.constant with the reference decoder";
  let description = [{
    Replaces every `lq.decode` of an `lq.constant` by an `arith.constant`
    holding the decoded f32 matrix, computed by the numeric library's
    reference decoder (the same code the quantizers are tested against). Used
    to check `lq-expand` and the fused lowerings against the library, and to
    export dequantized weights.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // LQ_PASSES_TD
