//===- LQAttrs.td - lq encoding attributes ------------------*- tablegen -*-===//
#ifndef LQ_ATTRS_TD
#define LQ_ATTRS_TD

include "lq/Dialect/LQ/IR/LQDialect.td"
include "lq/Dialect/LQ/IR/LQInterfaces.td"
include "mlir/IR/AttrTypeBase.td"

class LQ_EncodingAttr<string name, string attrMnemonic>
    : AttrDef<LQ_Dialect, name, [DeclareAttrInterfaceMethods<LQ_WeightEncodingAttrInterface>]> {
  let mnemonic = attrMnemonic;
  let genVerifyDecl = 1;
  let assemblyFormat = "`<` struct(params) `>`";
}

def LQ_UniformEncodingAttr : LQ_EncodingAttr<"UniformEncoding", "uniform"> {
  let summary = "Uniform scalar codes with group-wise fp16 scales";
  let description = [{
    Each weight is an unsigned `bits`-bit code `q`; `group` consecutive weights
    of a row along K share an fp16 scale `s` (and, when asymmetric, an 8-bit
    zero point `z`):

    ```
    symmetric:  w = (q - 2^(bits-1)) * s
    asymmetric: w = (q - z) * s
    ```

    Bits per weight: `bits + 16/group (+ 8/group when asymmetric)`.

    ```mlir
    #lq.uniform<bits = 4, group = 128, symmetric = true>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$group,
                        DefaultValuedParameter<"bool", "true">:$symmetric);
}

def LQ_PVQEncodingAttr : LQ_EncodingAttr<"PVQEncoding", "pvq"> {
  let summary = "Pyramid vector quantization: pulse-vector index and amplitude";
  let description = [{
    Each group of `dim` consecutive weights of a row is `amp * y / ||y||_2`,
    with `y` an integer vector of L1 norm `pulses` stored as its enumeration
    index in `ceil(log2 N(dim, pulses))` bits. The amplitude is shared by
    `amp_group` consecutive weights: `amp = (a + 1) * step[row]`, `a` an
    unsigned `amp_bits`-bit code, `step` an fp16 per row.

    Bits per weight: `indexBits/dim + amp_bits/amp_group + 16/K`.

    ```mlir
    #lq.pvq<dim = 8, pulses = 6, amp_bits = 4, amp_group = 32>
    ```
  }];
  let parameters = (ins "int64_t":$dim, "int64_t":$pulses, "unsigned":$amp_bits,
                        "int64_t":$amp_group);
}

def LQ_BinaryEncodingAttr : LQ_EncodingAttr<"BinaryEncoding", "binary"> {
  let summary = "GPTQT binary codes: a sum of scaled sign planes";
  let description = [{
    Each weight is a sum of `planes` scaled signs plus an offset, the scales
    and offset shared by `group` consecutive weights of a row:

    ```
    w = sum_i alpha[row, k / group, i] * b_i + offset[row, k / group],  b_i in {-1, +1}
    ```

    This is the merged form of GPTQT's two steps (linear quantization to a
    wider grid, then re-coding that grid as binary planes), so inference runs
    one binary-code matmul. Bits per weight: `planes + 16 * (planes + 1) / group`.

    ```mlir
    #lq.binary<planes = 3, group = 128>
    ```
  }];
  let parameters = (ins "unsigned":$planes, "int64_t":$group);
}

#endif // LQ_ATTRS_TD
