//===- LQOps.td - lq operations -----------------------------*- tablegen -*-===//
#ifndef LQ_OPS_TD
#define LQ_OPS_TD

include "lq/Dialect/LQ/IR/LQDialect.td"
include "lq/Dialect/LQ/IR/LQAttrs.td"
include "lq/Dialect/LQ/IR/LQTypes.td"
include "lq/Dialect/LQ/IR/LQInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Encoded weights
//===----------------------------------------------------------------------===//

def LQ_ConstantOp : LQ_Op<"constant", [Pure]> {
  let summary = "An encoded weight: packed codes and their scales";
  let description = [{
    Holds the packed storage of an encoded weight, usually as `dense_resource`
    tensors so that large models stay out of the textual IR. Which tensors are
    present and their shapes follow from the encoding (`docs/Layout.md`):

    | encoding | codes (i8) | scales (f16) | zero_points (i8) | amplitudes (i8) | offsets (f16) |
    |---|---|---|---|---|---|
    | uniform | `[N, ceil(K*bits/8)]` | `[N, K/group]` | asymmetric: `[N, K/group]` | – | – |
    | pvq | `[N, ceil((K/dim)*indexBits/8)]` | `[N, 1]` | – | `[N, ceil((K/amp_group)*amp_bits/8)]` | – |
    | binary | `[planes, N, ceil(K/8)]` | `[N, K/group, planes]` | – | – | `[N, K/group]` |

    Code streams are LSB-first per row: element `j` occupies bits
    `[j*w, j*w + w)` of its row.

    ```mlir
    %w = lq.constant codes(dense_resource<q_codes> : tensor<64x32xi8>)
                     scales(dense_resource<q_scales> : tensor<64x1xf16>)
         : !lq.weight<64x64, #lq.uniform<bits = 4, group = 64, symmetric = true>>
    ```
  }];
  let arguments = (ins ElementsAttr:$codes, ElementsAttr:$scales,
                       OptionalAttr<ElementsAttr>:$zero_points,
                       OptionalAttr<ElementsAttr>:$amplitudes,
                       OptionalAttr<ElementsAttr>:$offsets);
  let results = (outs LQ_WeightType:$result);
  let assemblyFormat = [{
    `codes` `(` $codes `)` `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)?
    (`amplitudes` `(` $amplitudes^ `)`)?
    (`offsets` `(` $offsets^ `)`)?
    attr-dict `:` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def LQ_DecodeOp : LQ_Op<"decode", [Pure]> {
  let summary = "Decodes an encoded weight to a float tensor (reference semantics)";
  let description = [{
    Returns the `[N, K]` float matrix an encoded weight stands for. This is
    the reference every lowering of `lq` is checked against.

    ```mlir
    %f = lq.decode %w : !lq.weight<64x64, #lq.binary<planes = 2, group = 32>> -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins LQ_WeightType:$weight);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$weight attr-dict `:` qualified(type($weight)) `->` type($result)";
  let hasVerifier = 1;
}

def LQ_MatmulOp : LQ_Op<"matmul", [Pure]> {
  let summary = "Activation times encoded weight: y = x * W^T";
  let description = [{
    `x` has shape `[..., K]`, the weight `[N, K]`; the result is `[..., N]`,
    accumulated in f32. With `act_bits = 8` (W4A8) or `4` (W4A4), each row of
    `x` (each token) is first quantized dynamically and symmetrically to
    `act_bits` signed bits with scale `max|x_row| / (2^(act_bits-1) - 1)`,
    exactly as `lq.quantize` followed by `lq.dequantize`. With `act_scale`
    (static ranges, calibrated ahead of time) every row uses that one
    per-tensor scale instead: no per-token maximum is taken at run time, and
    values beyond `act_scale * (2^(act_bits-1) - 1)` are clipped.

    ```mlir
    %y = lq.matmul %x, %w act(8) : tensor<16x64xf32>, !lq.weight<32x64, #lq.uniform<bits = 4, group = 64, symmetric = true>> -> tensor<16x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, LQ_WeightType:$weight,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>>:$act_bits,
                       OptionalAttr<F32Attr>:$act_scale);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`act` `(` $act_bits^ `)`)? (`scale` `(` $act_scale^ `)`)? attr-dict `:`
    type($input) `,` qualified(type($weight)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activation quantization
//===----------------------------------------------------------------------===//

def LQ_QuantizeOp : LQ_Op<"quantize", [Pure]> {
  let summary = "Symmetric quantization of activations, per token or with a static scale";
  let description = [{
    Quantizes each row (the last dimension) of `input` to signed `bits`-bit
    integers: `scale = max|x_row| / (2^(bits-1) - 1)` (1 when the row is all
    zero), `q = clamp(round(x / scale), -(2^(bits-1) - 1), 2^(bits-1) - 1)`.
    Codes are returned unpacked, one per `i8`. With `static_scale` (a
    per-tensor scale calibrated ahead of time) every row uses it: no
    per-token maximum, values beyond its range clipped; `scales` is that
    scale repeated.

    ```mlir
    %q, %s = lq.quantize %x bits(8) : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>:$bits,
                       OptionalAttr<F32Attr>:$static_scale);
  let results = (outs AnyRankedTensor:$codes, AnyRankedTensor:$scales);
  let assemblyFormat = [{
    $input `bits` `(` $bits `)` (`scale` `(` $static_scale^ `)`)? attr-dict `:` type($input) `->` type($codes) `,` type($scales)
  }];
  let hasVerifier = 1;
}

def LQ_DequantizeOp : LQ_Op<"dequantize", [Pure]> {
  let summary = "Inverse of lq.quantize: x = q * scale per row";
  let description = [{
    ```mlir
    %x = lq.dequantize %q, %s : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$codes, AnyRankedTensor:$scales);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $codes `,` $scales attr-dict `:` type($codes) `,` type($scales) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// KV cache quantization
//===----------------------------------------------------------------------===//

def LQ_KVQuantizeOp : LQ_Op<"kv_quantize", [Pure]> {
  let summary = "Quantizes K or V rows for the cache (2-D: channel smoothing + per-token)";
  let description = [{
    Quantizes `[T, C]` keys or values, one row per token, for storage in a
    low-bit cache. With `channel_scale` (2-D quantization), each channel is
    first divided by its static scale; then each token is quantized
    asymmetrically to unsigned `bits`-bit codes with a dynamic per-token
    scale and zero (`x = (q - zero) * scale`). Codes are packed LSB-first along
    C: `[T, ceil(C*bits/8)]` bytes. With `clip` (in (0, 1]) the token's range
    is `[clip * min, clip * max]` and values beyond it saturate (WKVQuant's
    tuned clipping; absent: 1, the full range).

    Used for past-only quantization: the decode step quantizes only what it
    writes to the cache; the current token's K/V enter attention unquantized.

    ```mlir
    %q, %s, %z = lq.kv_quantize %k channel_scale(%cs : tensor<64xf32>) bits(4)
        : tensor<1x64xf32> -> tensor<1x32xi8>, tensor<1x1xf32>, tensor<1x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$channel_scale,
                       ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>:$bits,
                       OptionalAttr<F32Attr>:$clip);
  let results = (outs AnyRankedTensor:$codes, AnyRankedTensor:$scales,
                      AnyRankedTensor:$zeros);
  let assemblyFormat = [{
    $input (`channel_scale` `(` $channel_scale^ `:` type($channel_scale) `)`)?
    `bits` `(` $bits `)` attr-dict `:` type($input) `->` type($codes) `,` type($scales) `,` type($zeros)
  }];
  let hasVerifier = 1;
}

def LQ_KVDequantizeOp : LQ_Op<"kv_dequantize", [Pure]> {
  let summary = "Reads quantized K or V rows back from the cache";
  let description = [{
    Inverse of `lq.kv_quantize`: `x = (q - zero) * scale`, then multiplied by
    `channel_scale` per channel when given.

    ```mlir
    %k = lq.kv_dequantize %q, %s, %z channel_scale(%cs : tensor<64xf32>) bits(4)
        : tensor<8x32xi8>, tensor<8x1xf32>, tensor<8x1xf32> -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$codes, AnyRankedTensor:$scales,
                       AnyRankedTensor:$zeros, Optional<AnyRankedTensor>:$channel_scale,
                       ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>:$bits);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $codes `,` $scales `,` $zeros (`channel_scale` `(` $channel_scale^ `:` type($channel_scale) `)`)?
    `bits` `(` $bits `)` attr-dict `:` type($codes) `,` type($scales) `,` type($zeros) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Function-preserving transforms
//===----------------------------------------------------------------------===//

class LQ_FPTOp<string mnemonic, list<Trait> traits = []>
    : LQ_Op<"fpt." # mnemonic, !listconcat(traits, [Pure, AllTypesMatch<["input", "result"]>,
        DeclareOpInterfaceMethods<LQ_FunctionPreservingTransformOpInterface>])> {
  let hasFolder = 1;
  let hasVerifier = 1;
  let results = (outs AnyRankedTensor:$result);
}

def LQ_FPTScaleOp : LQ_FPTOp<"scale"> {
  let summary = "Per-channel scaling of the last dimension (mergeable)";
  let description = [{
    `y = x * scale` along the last dimension, or `y = x / scale` with
    `inverse`. `scale` must be finite and non-zero. A scale followed by its
    inverse with the same scale folds away. Used for QQQ smoothing and
    FPTQuant's MLP channel scaling.

    ```mlir
    %y = lq.fpt.scale %x {scale = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<4x2xf32>
    %z = lq.fpt.scale %y {scale = dense<[1.0, 2.0]> : tensor<2xf32>, inverse} : tensor<4x2xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, ElementsAttr:$scale, UnitAttr:$inverse);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LQ_FPTRotateOp : LQ_FPTOp<"rotate"> {
  let summary = "Orthogonal rotation of the last dimension (mergeable unless online)";
  let description = [{
    `y = x * R` with `R` orthogonal (`[C, C]`), or `y = x * R^T` with
    `inverse`. Without `matrix`, `R` is the normalised Walsh-Hadamard matrix
    of size C (a power of two), or with `block = b` the block-diagonal matrix
    of C / b normalised Walsh-Hadamard blocks of size b (a power of two
    dividing C). Orthogonality is checked to 1e-3.

    `online` marks a rotation that stays in the program and runs on the
    activations (QuaRot/SpinQuant's online Hadamard before the down
    projection): lq-merge-fpt folds only its inverse partner into the next
    weight, and the two do not cancel by folding.

    ```mlir
    %y = lq.fpt.rotate %x : tensor<4x8xf32>
    %r = lq.fpt.rotate %h {block = 4 : i64, online} : tensor<4x12xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, OptionalAttr<ElementsAttr>:$matrix,
                       UnitAttr:$inverse, OptionalAttr<I64Attr>:$block, UnitAttr:$online);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LQ_FPTLinearOp : LQ_FPTOp<"linear"> {
  let summary = "Invertible per-head linear transform of the last dimension (mergeable)";
  let description = [{
    The last dimension is split into `heads` blocks of size `d`; each block is
    multiplied on the right by its own invertible `[d, d]` matrix:
    `y_h = x_h * T_h`, or `y_h = x_h * T_h^-1` with `inverse`. The op carries
    both `matrix` and `inverse_matrix` (`[heads, d, d]`); the verifier checks
    that their product is the identity to 1e-3 relative. FPTQuant's value
    transform (merged into W_v and W_o).

    ```mlir
    %y = lq.fpt.linear %v {matrix = dense<...> : tensor<2x4x4xf32>,
                           inverse_matrix = dense<...> : tensor<2x4x4xf32>} : tensor<1x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, ElementsAttr:$matrix,
                       ElementsAttr:$inverse_matrix, UnitAttr:$inverse);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LQ_FPTRopeScaleOp : LQ_FPTOp<"rope_scale"> {
  let summary = "Pre-RoPE scaled rotation per frequency plane (mergeable)";
  let description = [{
    The last dimension holds `heads` heads of size `d`; RoPE pairs channel
    `i` with `i + d/2` (rotate-half convention). Each pair `(i, i + d/2)` of
    head `h` is multiplied by the 2x2 matrix `M = c * R(phi)` with
    `c = scales[h, i]`, `phi = angles[h, i]`, `R(phi) = [[cos, -sin], [sin, cos]]`
    acting on the column vector `(x_i, x_{i+d/2})`. Because 2-D rotations
    commute with RoPE, applying `M` to keys and `M^-T = (1/c) R(phi)`
    (`inverse` + `transpose`) to queries leaves every score `q.k` unchanged.
    `inverse` gives `M^-1`, `transpose` gives `M^T`.

    ```mlir
    %k2 = lq.fpt.rope_scale %k {scales = dense<2.0> : tensor<2x4xf32>,
                                angles = dense<0.5> : tensor<2x4xf32>} : tensor<3x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, ElementsAttr:$scales, ElementsAttr:$angles,
                       UnitAttr:$inverse, UnitAttr:$transpose);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LQ_FPTResidualScaleOp : LQ_FPTOp<"residual_scale"> {
  let summary = "Dynamic per-token scaling of the residual stream (not mergeable)";
  let description = [{
    `y = x / r` per token (each row of the last dimension divided by the
    matching entry of `r`, shape `[..., 1]`), or `y = x * r` with `inverse`.
    RMSNorm ignores the scale of its input, so dividing the residual stream by
    a per-token scaler taken from the norm's RMS changes nothing downstream of
    the norm while removing the per-token magnitude spread that static
    activation scales cannot follow. It is cheap at run time and is not merged.

    ```mlir
    %y = lq.fpt.residual_scale %x, %r : tensor<4x64xf32>, tensor<4x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scaler, UnitAttr:$inverse);
  let assemblyFormat = "$input `,` $scaler attr-dict `:` type($input) `,` type($scaler)";
}

#endif // LQ_OPS_TD
