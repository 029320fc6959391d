//===- LQDialect.td - The lq (low-bit quantization) dialect -*- tablegen -*-===//
#ifndef LQ_DIALECT_TD
#define LQ_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def LQ_Dialect : Dialect {
  let name = "lq";
  let summary = "Low-bit weight encodings, quantized compute and function-preserving transforms";
  let description = [{
    The `lq` dialect represents large-language-model weights in low-bit
    encodings (uniform scalar codes, pyramid vector quantization, GPTQT binary
    codes), the compute that consumes them (`lq.matmul`, activation and KV-cache
    quantization) and FPTQuant's function-preserving transforms, which passes
    merge into adjacent matmul weights.

    It is named `lq` because upstream MLIR already owns `quant`. Every encoded
    weight has reference semantics given by `lq.decode`; `lq-expand` rewrites
    all `lq` ops into `linalg`/`arith`/`tensor` so any quantized module runs
    through upstream lowering, and every fused lowering is checked against it.

    A weight is always viewed as `[N, K]`: N output features, K the reduction
    dimension, `y = x * W^T`. Codes are stored per output row along K; the
    packed layouts are documented in `docs/Layout.md`.
  }];
  let cppNamespace = "::mlir::lq";
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 0;
}

class LQ_Op<string mnemonic, list<Trait> traits = []>
    : Op<LQ_Dialect, mnemonic, traits>;

#endif // LQ_DIALECT_TD
