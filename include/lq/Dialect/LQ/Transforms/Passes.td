//===- Passes.td - lq quantization passes -------------------*- tablegen -*-===//
//
// Passes from lq to lq (and float to lq): quantization, transforms, KV and
// activation quantization, calibration hooks. The lowerings out of lq are in
// lq/Conversion/Passes.td. (keep in data-flow order)
//
//===----------------------------------------------------------------------===//
#ifndef LQ_DIALECT_LQ_TRANSFORMS_PASSES_TD
#define LQ_DIALECT_LQ_TRANSFORMS_PASSES_TD

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

    With `roles`, only the linears whose role starts with one of the given
    prefixes are quantized and everything else is left as it is: sequential
    calibration (`quant-run calibrate --sequential`) quantizes one block at a
    time this way, each on statistics recorded through the blocks quantized
    before it.
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
           "GPTQ dampening as a fraction of the Hessian's mean diagonal, in [0, 1]">,
    Option<"actOrder", "act-order", "bool", "false",
           "GPTQ: quantize columns in order of decreasing Hessian diagonal, with each "
           "group's scales fitted up front on the original weight (static groups)">,
    Option<"blockSize", "block-size", "int64_t", "128", "GPTQ lazy-update block size">,
    Option<"report", "report", "bool", "false",
           "Emit a remark per weight: bits per weight, relative error, layer loss">,
    ListOption<"exclude", "exclude", "std::string",
               "Roles (`lq.role`) left in float, e.g. lm_head">,
    ListOption<"roles", "roles", "std::string",
               "Quantize only the linears whose `lq.role` starts with one of these "
               "prefixes (e.g. `layers.3.`); empty: every matmul">,
    Option<"keepReference", "keep-reference", "bool", "false",
           "Attach the float weight (`lq.reference`) and its Hessian (`lq.hessian`) "
           "to each lq.constant, for passes that refine codes against it (lq-rescale)">,
    Option<"threads", "threads", "unsigned", "0",
           "Worker threads over weight rows (0: one per core); the result is the same "
           "for any count">,
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
    Option<"threads", "threads", "unsigned", "0",
           "Worker threads over weight rows (0: one per core); the result is the same "
           "for any count">,
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

def LQFuseSiblingMatmuls : Pass<"lq-fuse-sibling-matmuls", "::mlir::ModuleOp"> {
  let summary = "Stack the weights of lq.matmuls that share their input into one matmul";
  let description = [{
    `lq.matmul`s of one input whose weights are `lq.constant`s of one
    encoding and column count, with the same activation quantization (a
    layer's q, k and v projections; its gate and up projections), become one
    `lq.matmul` of the weights stacked along their rows; each former result
    is a `tensor.extract_slice` of the new one's columns. Every output
    element is computed from the same codes and the same (quantized) input
    row as before; the stacked weight is one blob per storage tensor,
    named after the siblings' roles joined by `+`.

    A decode step's matmuls are small (4096 x 4096 in 4 bits is 8 MB): a
    GPU kernel that small spends much of its time ramping up and down, and
    one kernel over q, k and v together streams the same bytes in fewer
    launches.

    Weights that carry other attributes (`lq.reference`, statistics) are
    left alone, as are siblings in different blocks.

    ```mlir
    %q = lq.matmul %x, %wq : tensor<1x64xf32>, !lq.weight<64x64, #u4> -> tensor<1x64xf32>
    %k = lq.matmul %x, %wk : tensor<1x64xf32>, !lq.weight<32x64, #u4> -> tensor<1x32xf32>
    // becomes
    %w = lq.constant ... : !lq.weight<96x64, #u4>
    %qk = lq.matmul %x, %w : tensor<1x64xf32>, !lq.weight<96x64, #u4> -> tensor<1x96xf32>
    %q = tensor.extract_slice %qk[0, 0] [1, 64] [1, 1]
    %k = tensor.extract_slice %qk[0, 64] [1, 32] [1, 1]
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Fuse the matmuls of these functions (default: all)">,
  ];
}

//===----------------------------------------------------------------------===//
// Function-preserving transforms, smoothing, activation and KV quantization
//===----------------------------------------------------------------------===//

def LQInsertFPT : Pass<"lq-insert-fpt", "::mlir::ModuleOp"> {
  let summary = "Insert FPTQuant's mergeable transform pairs around the linear layers";
  let description = [{
    Places FPTQuant's function-preserving transforms as `lq.fpt` op pairs
    directly at the role-tagged linears of every function (so pairs nest and
    `lq-merge-fpt` can fold each into the adjacent weight):

    - **pre-RoPE** (`qk`): per key head and RoPE frequency pair `i`, a scaled
      rotation `M_i = c_i R(phi_i)` on the k projection's output and
      `M_i^-T` on the q projection's output (repeated over the query heads
      of a GQA group), so every score `q.k` is unchanged; rotations within a
      pair commute with RoPE. `lq.fpt.rope_scale` for `rope_style = "half"`;
      `lq.fpt.linear` with the same 2x2 blocks on pairs `(2i, 2i+1)` for
      `"interleaved"`.
    - **value** (`value`): an invertible per-KV-head `T` on the v output and
      `T^-1` on the o input (repeated per query head of the group).
    - **MLP** (`mlp`): a per-channel scale on the up output, undone on the
      down input (it passes SwiGLU's product; never on the gate).

    Objectives (closed forms in `lq/Transforms/FPT.h`), from the calibration
    statistics of docs/ModelIR.md:
    - pre-RoPE: `c_i ~ 1 / r_i` with `r_i = sqrt(kmax_a^2 + kmax_b^2)` from
      k's `lq.out_absmax` minimises the quantization error the per-token
      K-cache step puts into the scores (all pairs at one range); `phi_i`
      balances the pre-RoPE variances of the pair's channels, from k's
      second moments `W_k H W_k^T` (`lq.hessian`).
    - value and MLP: `t_j = sqrt(w_j / a_j)` (`a` = the consuming linear's
      `lq.act_absmax`, `w` = its weight-column max; tied over a GQA group for
      the value transform) minimises the product of the activation's and the
      weight's quantization steps, `max_j(a_j t_j) * max_j(w_j / t_j)`,
      reaching its lower bound `max_j a_j w_j`.
    Where `quant-run calibrate --fpt-learn` recorded learned factors
    (`lq.fpt_scale` on the o / down linear: `[kv_heads * head_dim]` /
    `[hidden]` positive floats, optimised with the 4-bit quantizers in the
    loop), the value transform and the MLP scaling use them instead of `t`;
    a malformed one is an error.

    With `residual`, the residual stream itself is rotated by the normalised
    Hadamard matrix `R` (QuaRot's rotation; no fitting, spreads channel
    outliers over all channels): RMSNorm commutes with `R` once its weight
    `g` is moved into the following linears (`x / g` after the norm, `* g`
    before each reader), so `R` goes on the embedding rows and on the o and
    down outputs, `R^T` before every reader of a norm (q, k, v, gate, up,
    lm_head). Where the model width is not a power of two, `R` is
    block-diagonal with Hadamard blocks of the largest power of two dividing
    it.

    With `down-rotation`, the down projection's input (the SwiGLU product,
    whose outlier channels change from token to token, so no per-channel
    scale flattens them) is rotated at run time by a block-diagonal
    Hadamard matrix `H` (`lq.fpt.rotate {online}`, QuaRot/SpinQuant's online
    Hadamard) and `H^T` is merged into `W_down`: not free at run time (a
    `[b, b]` product per block of each token), but it is what makes 4-bit
    activations work there.

    With `residual-scaling` (FPTQuant's dynamic residual scaling), each
    layer's o and down projections read their input divided by a per-token
    scaler `r`, the RMS of the residual stream entering the layer's
    attention or MLP norm, and their output is multiplied by `r` again
    (`lq.fpt.residual_scale` pairs, not mergeable). In floats this is the
    residual stream carried divided by `r` (RMSNorm ignores the scale of its
    input, so nothing else changes); with static activation ranges it
    removes from the o and down inputs the per-token magnitude spread that
    follows the residual's. The o and down linears' `lq.act_absmax` and
    `lq.act_hist` no longer describe what they read and are dropped:
    calibrate the module again before `lq-quantize-activations{static=true}`.

    Every fitted transform's 2-norm condition number is checked against
    `max-condition`; a larger one is an error, as are missing roles, RoPE or
    statistics.
  }];
  let dependentDialects = ["::mlir::lq::LQDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"qk", "qk", "bool", "true", "Insert the pre-RoPE transform on q/k">,
    Option<"value", "value", "bool", "true", "Insert the value transform on v/o">,
    Option<"mlp", "mlp", "bool", "true", "Insert the MLP scaling on up/down">,
    Option<"residual", "residual", "bool", "false",
           "Rotate the residual stream by a Hadamard matrix (RMSNorm weights folded "
           "into the next linears first)">,
    Option<"downRotation", "down-rotation", "bool", "false",
           "Rotate the down projection's input online by block Hadamard matrices (blocks: "
           "the largest power of two dividing the width), the inverse merged into W_down">,
    Option<"residualScaling", "residual-scaling", "bool", "false",
           "Divide the o and down inputs by the per-token RMS of the residual stream at "
           "the layer's norms (FPTQuant's dynamic residual scaling) and multiply it back after">,
    Option<"maxCondition", "max-condition", "double", "1e4",
           "Largest accepted condition number of a fitted transform">,
  ];
}

def LQMergeFPT : Pass<"lq-merge-fpt", "::mlir::ModuleOp"> {
  let summary = "Fold mergeable lq.fpt transforms into the adjacent weights";
  let description = [{
    Folds every mergeable function-preserving transform `y = x M` into the
    neighbouring constant:

    - on a linear's output (`lq.fpt` reads a matmul result that nothing else
      reads; zero-filled init): `W' = M^T W` (rows of `W [out, in]`);
    - on a linear's input (its result feeds only operand 0 of a matmul):
      `W' = W M^T` (columns);
    - on an RMSNorm's output (a parallel `linalg.generic` whose result is
      `... * w[j]` with `w` its last, 1-D constant input) when `M` is
      diagonal: `w' = w * diag(M)` — where QQQ's `x / s` goes;
    - on an embedding lookup's output (a generic yielding
      `tensor.extract %table[%row, %d]` of a constant table): `E' = E M`.

    A transform whose result feeds a linear merges forward, otherwise
    backward; chains are folded from the linear outwards until none is left.
    Calibration statistics follow the change: input statistics of a linear
    (`lq.act_absmax` as an upper bound through non-diagonal `M^-1`, exact
    otherwise; `lq.hessian` as `M^-T H M^-1`) and output ranges
    (`lq.out_absmax`, `lq.out_min`, `lq.out_max` by interval arithmetic).
    Weights shared between functions stay shared (one merged blob per
    weight and transform). A mergeable transform that is not next to a
    linear or norm it can fold into is an error; `lq.fpt.residual_scale`
    is not mergeable and stays.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LQSmooth : Pass<"lq-smooth", "::mlir::ModuleOp"> {
  let summary = "QQQ adaptive smoothing as lq.fpt.scale pairs";
  let description = [{
    At four points per layer, a per-input-channel scale `s` moves range
    from the activations into the weights: `x / s` is placed where it can be
    folded into the producer, `* s` right before each consuming linear.

    | point | consumers | `x / s` folds into |
    |---|---|---|
    | attention input | q, k, v | the attention RMSNorm weight |
    | o input | o | v's rows (one scale per value channel, shared by the query heads of a GQA group) |
    | MLP input | gate, up | the MLP RMSNorm weight |
    | down input | down | up's rows (through SwiGLU's product) |

    `s_j = max|x_j|^alpha / max|W[:, j]|^(1 - alpha)` (normalised), with
    alpha chosen per point on `alpha-grid` (and "no smoothing") by the
    estimated output error of the quantized layers
    (`lq/Transforms/Smooth.h`): the weight error `tr(dW H dW^T)` of
    round-to-nearest `weight-bits` weights, exact given the calibration
    Hessian, plus the rounding noise of per-token `act-bits` activations
    at the largest observed range. Candidates with `max(s)/min(s)` above
    `max-condition` are not considered. Needs `lq.act_absmax`, `lq.hessian`
    and `lq.tokens` on the consumers; `lq-merge-fpt` folds the pairs.
  }];
  let dependentDialects = ["::mlir::lq::LQDialect"];
  let options = [
    ListOption<"alphaGrid", "alpha-grid", "double",
               "Migration strengths to try (default 0, 0.05, ..., 1)">,
    Option<"weightBits", "weight-bits", "unsigned", "4", "Weight bits the search assumes">,
    Option<"weightGroup", "weight-group", "int64_t", "0",
           "Weights per scale along K the search assumes (0: per row)">,
    Option<"actBits", "act-bits", "unsigned", "8", "Activation bits the search assumes">,
    Option<"attnInput", "attn-input", "bool", "true", "Smooth the q/k/v input">,
    Option<"oInput", "o-input", "bool", "true", "Smooth the o input (into v)">,
    Option<"mlpInput", "mlp-input", "bool", "true", "Smooth the gate/up input">,
    Option<"downInput", "down-input", "bool", "true", "Smooth the down input (into up)">,
    Option<"maxCondition", "max-condition", "double", "1e4",
           "Largest max(s)/min(s) a candidate may have">,
    Option<"report", "report", "bool", "false",
           "Emit a remark per point: alpha and estimated error against none">,
  ];
}

//===----------------------------------------------------------------------===//
// Calibration hooks (quant-run calibrate)
//===----------------------------------------------------------------------===//

def LQInstrumentLinears : Pass<"lq-instrument-linears", "::mlir::ModuleOp"> {
  let summary = "Call recording hooks on the activations of role-tagged linear layers";
  let description = [{
    Before every op carrying `lq.role` (a linear layer: `[tokens, in]` f32
    input, `[tokens, out]` f32 result) inserts

        func.call @lq_record_input(%id, %x) : (i64, tensor<?x?xf32>) -> ()

    once per distinct input value (q/k/v and gate/up share one), and after
    the `attn.k` / `attn.v` linears `@lq_record_output(%id, %y)`. The op gets
    `lq.calib_input = id` (and `lq.calib_output = id`; inputs and outputs are
    numbered separately from 0) so statistics recorded
    under an id can be attached back by role. The hooks are declared external
    with `llvm.emit_c_interface`; quant-run calibrate provides them to the
    JIT as `_mlir_ciface_lq_record_input` / `_mlir_ciface_lq_record_output`
    (`void (int64_t, StridedMemRef<float, 2> *)`).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"function", "function", "std::string", "\"forward\"",
           "Function to instrument (empty: every function)">,
    ListOption<"roles", "roles", "std::string",
               "Instrument only the linears whose `lq.role` starts with one of these "
               "prefixes (e.g. `layers.3.`); empty: every role-tagged linear">,
  ];
}

def LQQuantizeActivations : Pass<"lq-quantize-activations", "::mlir::ModuleOp"> {
  let summary = "Quantization of the linear layers' inputs (A8/A4), per token or static";
  let description = [{
    Every role-tagged linear's input is quantized per token (each row)
    symmetrically to `bits` signed bits with scale `max|x_row| / (2^(bits-1) - 1)`:
    an `lq.matmul` gets `act(bits)`; a float `linalg.matmul` gets an
    `lq.quantize` / `lq.dequantize` pair on its input (the reference form
    of the same arithmetic). `lm_head` keeps float activations unless
    `lm-head` is set, as in QQQ and FPTQuant.

    With `static`, one per-tensor scale per linear is fixed now from the
    calibration statistics (`lq.act_absmax`, `lq.act_hist`: docs/ModelIR.md)
    and stored on the op (`lq.matmul ... act(bits) scale(s)`,
    `lq.quantize ... scale(s)`): no per-token maximum at run time, values
    beyond the range clipped. `range` chooses the clipping value `c`
    (`s = c / (2^(bits-1) - 1)`):
    - `absmax`: the largest |x| seen in calibration;
    - `mse` (default): the `c` minimising the expected squared error over
      the calibration histogram (rounding `s^2/12` inside the range, `x^2`
      for values rounded to zero, `(|x| - c)^2` beyond it);
    - `percentile`: the `percentile`-th percentile of |x|.
    Static mode needs the statistics on every linear it quantizes (a
    located error otherwise); they are consumed (removed) either way.
  }];
  let dependentDialects = ["::mlir::lq::LQDialect"];
  let options = [
    Option<"bits", "bits", "unsigned", "8", "Activation bits (2-8)">,
    Option<"lmHead", "lm-head", "bool", "false", "Quantize lm_head's input too">,
    ListOption<"exclude", "exclude", "std::string",
               "Roles (or role suffixes such as mlp.down) whose inputs stay float">,
    Option<"staticRanges", "static", "bool", "false",
           "Static per-tensor scales from the calibration statistics instead of per-token ones">,
    Option<"range", "range", "std::string", "\"mse\"",
           "How a static range is chosen: absmax, mse or percentile">,
    Option<"percentile", "percentile", "double", "99.99",
           "The percentile of |x| for range=percentile">,
  ];
}

def LQQuantizeKV : Pass<"lq-quantize-kv", "::mlir::ModuleOp"> {
  let summary = "WKVQuant's KV-cache quantization: past-only, 2-D";
  let description = [{
    The keys (after RoPE) and values of every layer are quantized per token
    (all KV heads of a token in one row) to `bits` unsigned codes with a
    dynamic scale and zero, through `lq.kv_quantize` / `lq.kv_dequantize`.

    - `smooth` (2-D quantization): each channel is first divided by a static
      scale, its calibrated range (`lq.out_absmax` of the k/v projection;
      for keys the RoPE pair's bound `hypot(max_a, max_b)`, since RoPE
      mixes the pair), which flattens the token's channel profile before
      the per-token step is chosen.
    - Per-layer parameters, when the k/v projection (any copy of its role)
      carries them (`quant-run calibrate --kv-reconstruct` tunes and
      records them): `lq.kv_clip` in (0, 1], the `clip` of that layer's
      `lq.kv_quantize` (the token's range `[clip * min, clip * max]`), and
      `lq.kv_smooth` in [0, 1], the exponent of the channel scale
      (`range^smooth`; 0: no smoothing). Values outside are errors; absent,
      1 and 1.
    - `past-only`: a query attends to the quantized cache for earlier
      tokens and to its own key and value in full precision. In `@forward`
      the attention reads `s == t ? k : Q(k)`, built as plain contractions
      over `Q(k)` and `Q(v)` plus a diagonal fix-up: the scores at `s == t`
      are recomputed from `k` and selected in, and `p[t, t] (v[t] -
      Q(v)[t])` is added to the output, so the contractions stay fast
      two-input contractions; in `@decode` the
      cache keeps the quantized token while this step's attention sees it
      unquantized. Without it every key and value is quantized (naive).

    `@decode` then carries the caches packed (`pack-cache`): each f32 cache
    argument and result `[layers, KV, context, hd]` becomes two, the codes
    `[layers, context, KV * hd * bits / 8]` (i8, two 4-bit codes per byte,
    low nibble first) and each position's scale and zero `[layers, context,
    2]` (f32), so the function signature is
    `(token, pos, k_codes, k_params, v_codes, v_params) -> (logits, k_codes,
    k_params, v_codes, v_params)` (docs/ModelIR.md). A step quantizes the
    new token into them and dequantizes the window its attention reads.
    With `pack-cache=false` the caches stay f32 tensors holding dequantized
    values (the same arithmetic; the form used by tests that call `@decode`
    from inside the module).

    Run after `lq-merge-fpt` and before `lq-quantize-weights`, which drops
    the statistics.
  }];
  let dependentDialects = ["::mlir::lq::LQDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::linalg::LinalgDialect"];
  let options = [
    Option<"bits", "bits", "unsigned", "4", "KV cache bits (2, 4 or 8)">,
    Option<"pastOnly", "past-only", "bool", "true",
           "The current token's K/V enter attention unquantized">,
    Option<"smooth", "smooth", "bool", "true",
           "Static per-channel smoothing before per-token quantization (2-D)">,
    Option<"packCache", "pack-cache", "bool", "true",
           "@decode carries packed codes and per-token scales (false: f32 caches)">,
  ];
}

//===----------------------------------------------------------------------===//
// Activation precision
//===----------------------------------------------------------------------===//

def LQRoundMatmulInputs : Pass<"lq-round-matmul-inputs", "::mlir::ModuleOp"> {
  let summary = "Round the f32 activations of lq.matmul to f16 or bf16; accumulation stays f32";
  let description = [{
    Every `lq.matmul` of `functions` that reads f32 activations and does not
    quantize them itself (no `act(...)`: W4A8 rounds its own input) reads
    them rounded to `type` (round to nearest even) and widened back:

    ```mlir
    %h = linalg.generic ... ins(%x : tensor<?x128xf32>) outs(... : tensor<?x128xf16>) {
      arith.truncf ...
    }
    %w = linalg.generic ... ins(%h : tensor<?x128xf16>) outs(... : tensor<?x128xf32>) {
      arith.extf ...
    }
    %y = lq.matmul %w, %weight : tensor<?x128xf32>, !lq.weight<...> -> tensor<?x128xf32>
    ```

    One pair per distinct input, placed right after its definition and read
    by every converted matmul of that input (q, k and v share one). The
    matmul still accumulates in f32. The arithmetic is the same on every
    target: the CPU lowerings compute on the widened values, so a CPU run
    of the module is the reference of a GPU run, where `lq-lower-to-nvptx`
    feeds the f16 tensor to its kernels directly (half the activation
    bytes, one f16 mma instead of a high and a low part; the binary-code
    kernel takes f16 only) and `linalg-fuse-elementwise-ops` fuses the
    truncation into an element-wise producer (a norm, SwiGLU's product);
    after any other producer (the attention's weighted sum, a reduction,
    before the o projection) it is a kernel of its own.

    With `encodings`, only the matmuls of those weight encodings are
    converted; with `min-cols`, only those whose reduction dimension K is
    static and at least that (`lq-lower-to-gpu`'s default rounds the inputs
    of the binary-code matmuls and of the matmuls of K >= 2048).

    Inputs already widened from a 16-bit float (`arith.extf` or such a
    generic) are left alone, so a second run changes nothing, as are other
    element types. Values beyond f16's range (65504) become infinities;
    bf16 keeps f32's range with 8 significant bits instead of 11.
    `lq-lower-to-gpu` runs this pass first unless `activations=f32`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Round the matmul inputs of these functions (default: all)">,
    Option<"activationType", "type", "std::string", "\"f16\"",
           "The activation type: f16 or bf16">,
    ListOption<"encodings", "encodings", "std::string",
               "Round the inputs of the matmuls whose weights have one of these "
               "encodings: uniform, binary, pvq (default: all)">,
    Option<"minCols", "min-cols", "int64_t", "0",
           "Round the inputs of the matmuls whose reduction dimension K is static and at "
           "least this (0: any K)">,
  ];
}

#endif // LQ_DIALECT_LQ_TRANSFORMS_PASSES_TD
