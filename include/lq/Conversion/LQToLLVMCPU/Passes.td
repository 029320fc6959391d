//===- Passes.td - the lq-lower-to-cpu stages --------------*- tablegen -*-===//
//
// The CPU conversion passes, included by lq/Conversion/Passes.td (one
// LQConversion pass group).
//
//===----------------------------------------------------------------------===//

#ifndef LQ_CONVERSION_LQTOLLVMCPU_PASSES_TD
#define LQ_CONVERSION_LQTOLLVMCPU_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// LQToLLVMCPU: the stages of the `lq-lower-to-cpu` pipeline that upstream
// lacks (the pipeline itself is registered in Pipeline.cpp)
//===----------------------------------------------------------------------===//

def LQCPUPackWeights : Pass<"lq-cpu-pack-weights", "::mlir::ModuleOp"> {
  let summary = "Repack constant linear weights into contiguous column panels";
  let description = [{
    Every `linalg.matmul` on tensors whose right operand is a constant f32
    weight `W` (`[N, K]` transposed-B, or `[K, N]` plain) with `N` a multiple
    of `panel` becomes a `linalg.generic` contraction over the packed weight
    `P[N/panel, K, panel]`, `P[b, k, j] = W[panel*b + j, k]`, between a
    `tensor.expand_shape` of the output and a `tensor.collapse_shape` of the
    result. One panel is then `K x panel` contiguous floats, read once per
    row tile of the vectorized kernel (`lq-cpu-tile-and-vectorize`); in the
    `[K, N]` layout the same panel spans K pages and thrashes the TLB.
    Other matmuls are left as they are. Discardable attributes (the linear
    layer's role) carry over.

    ```mlir
    %y = linalg.matmul indexing_maps = [..., affine_map<(m, n, k) -> (n, k)>, ...]
           ins(%x, %w : tensor<?x64xf32>, tensor<32x64xf32>) outs(%init : tensor<?x32xf32>)
    // becomes, with panel = 16:
    %p = arith.constant dense_resource<lq_run_w0> : tensor<2x64x16xf32>
    %o = tensor.expand_shape %init [[0], [1, 2]] ... : tensor<?x32xf32> into tensor<?x2x16xf32>
    %g = linalg.generic {(m, b, j, k): x[m, k] * p[b, k, j] -> o[m, b, j]} ...
    %y = tensor.collapse_shape %g [[0], [1, 2]] : tensor<?x2x16xf32> into tensor<?x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"panel", "panel", "int64_t", "16",
           "Output columns per panel (the vector width of the kernel), in [1, 64]">,
  ];
}

def LQCPUOutlineLayers : Pass<"lq-cpu-outline-layers", "::mlir::ModuleOp"> {
  let summary = "Outline the repeated layers of each function into one function called per layer";
  let description = [{
    A model's `@forward` and `@decode` repeat one decoder layer per layer,
    identical but for its weights and, in `@decode`, its slice of the KV
    caches. Inline, LLVM compiles every layer again; outlined, it compiles
    one function per entry point that each layer calls with its own
    weights, so compile time no longer grows with the depth, and each
    layer's temporaries are freed when it returns.

    In every function with a one-block body, the top-level ops other than
    constants are searched for the run of consecutive repeats (equal op
    names, operand and result types and nested op counts) that saves the
    most ops, at least `min-ops` per repeat (nested ops included); of the
    phases that keep all repeats, the one whose repeats take and give the
    fewest values is chosen (for layers: the cut between two layers). Each
    repeat is then checked against the first op by op: inherent attributes,
    regions, and every value used the same way (a value of the repeat at the
    same position, or the same outside value each time it is used). The
    repeats become calls of a private function `@<function>_layer` built
    from the first. Its arguments are the values a repeat takes from
    outside it, except constants equal in every repeat (small scalars, the
    RoPE tables), which are cloned into it; its results are the values a
    repeat gives to ops after it. Static offsets of `tensor.extract_slice`
    and `tensor.insert_slice` that differ between repeats (a layer's cache
    slot) become index arguments. Dialect attributes that differ (a
    linear's `lq.role`) are dropped from the function. Runs on tensors
    after the weights are packed (`lq-cpu-packed-matmul`,
    `lq-cpu-pack-weights` look for constant weights) and before
    bufferization. Repeats are searched again after each outlining.

    ```mlir
    %x1 = <layer ops on %x0, %w0, %c0>
    %x2 = <layer ops on %x1, %w1, %c0>
    // becomes
    %x1 = call @forward_layer(%x0, %w0) : ...
    %x2 = call @forward_layer(%x1, %w1) : ...
    func.func private @forward_layer(%x: ..., %w: ...) -> ... {
      %c0 = arith.constant ...
      <layer ops on %x, %w, %c0>
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"minOps", "min-ops", "int64_t", "32",
           "Ops (nested included) a repeat must hold to be outlined">,
  ];
}

def LQCPUPackedMatmul : Pass<"lq-cpu-packed-matmul", "::mlir::ModuleOp"> {
  let summary = "Run 2/3/4/8-bit uniform, binary-code and PVQ lq.matmul on packed codes, dequantizing in the dot products (W4A8: int8 VNNI)";
  let description = [{
    Every `lq.matmul` of an `lq.constant` with 2-, 3-, 4- or 8-bit
    `#lq.uniform` codes (per group or per channel; symmetric or asymmetric)
    and no activation quantization becomes a loop nest of `vector` ops on
    tensors that keeps the weight packed: the codes stay b-bit
    (`dense_resource` i8, re-packed into panels of 16 output rows), the f16
    scales are widened to f32 and the zero points kept as i8, and
    dequantization happens in registers:
    `y[m, n] = sum_g s[n, g] * sum_{k in g} x[m, k] * (q[n, k] - z[n, g])`
    (`z` = 2^(b-1) when symmetric). The kernel call's `lq.packed_parts`
    names its packed operands (docs/Bundle.md), for `quant-run emit`.

    Panel layout: the codes are split into bit planes of widths dividing 8
    (2 -> {2}; 3 -> {2, 1}, `q = lo | hi << 2`; 4 -> {4}; 8 -> {8}). A plane
    of width w is `[ceil(N/16), K*w/8, 16]` i8 with byte `[b, i, j]` holding
    the fields of row `16b + j` at `k = (8/w)i + t` in bits `[t*w, t*w + w)`;
    4-bit: `codes[b, p, j] = q[16b + j, 2p] | q[16b + j, 2p + 1] << 4`.
    3-bit has `codes` (low 2 bits) and `codes_hi` (high bit, 8 k per byte):
    3 bits per weight. `scales[b, g, j] = s[16b + j, g]`
    (`[ceil(N/16), K/group, 16]` f32), `zeros` likewise (i8, asymmetric
    only); rows past N are zero. One 16-byte load gives 8/w k of 16 rows.
    Single-plane codes (2, 4, 8 bits) are decoded where they lie in the
    byte: field f (bits `[f*w, f*w + w)`) is `andi` with its mask, `ori`
    with 0x4B000000 (vpternlogd), `vector.bitcast` to f32 (2^23 + q * 2^(f*w))
    and `subf` of 2^23 + z * 2^(f*w) (per group): exactly (q - z) * 2^(f*w),
    multiplied by x[m, k] * 2^-(f*w), which the kernel computes once per call
    (exact: a power of two). That is 7 vector ops per 4-bit byte of 16 rows
    (a zero-extending load, 2 logic ops, 2 subtractions, 2 FMAs) where
    shifting the field down, `subi` and `sitofp` took 9, which bound the
    GEMV on a core. 3-bit codes (two planes) are `shrui`/`shli`/`andi`,
    `ori` across planes, `subi` and `sitofp`. Each decoded k feeds a
    `vector.fma` with a broadcast element of x. Rows of x are taken 4 at a
    time (the decoded codes feed 4 FMAs); a single row (decode) keeps 4
    accumulators over successive k. From `tiled-min-batch` rows of x on
    (prefill), rows are taken 8 at a time, one accumulator each (every
    decoded unit feeds 8 FMAs; the decode hides behind them), and binary
    codes are dequantized per panel and group into an f32 tile (`[group,
    16]`, alphas and offsets applied; PVQ codes per panel and 4 decode
    units, `[4 * 4D, 16]`, amp / ||y|| applied) read by blocks of 8 rows of x packed
    as `[M/8, K, 8]` (read in place, the 8 rows lie K*4 bytes apart and
    share an L1 set): a k costs one tile load and 8 FMAs, as 4-bit codes'.
    A dynamic row count chooses at run time (`scf.if`). Below AVX-512,
    where binary codes' table lookups take 8 lanes at a time, binary codes
    take the f32 tile from 8 rows on.

    Kernels: each matmul becomes a `func.call` of a private kernel function
    named after the encoding and shape (`@lq_cpu_packed_<encoding>_<N>x<K>_m<M
    or dyn>`), which takes x and the packed tensors: every layer of one
    shape shares one function, so the code (and LLVM's time) does not grow
    with the depth, and the weights are plain arguments. The lq.constants of
    one weight (in @forward and @decode) share one packed copy. Panels are
    independent: in kernels of at least `parallel-min-weights` weights they
    are an `scf.forall` (the pipeline maps it onto OpenMP threads, or onto a
    loop), in smaller ones an `scf.for`, where a thread's start-up would
    cost more than it saves. Each panel writes its own `[M, 16]` slice of
    an output padded to whole panels, cut back to N after.

    GPTQT binary codes (`#lq.binary<planes = p, group = g>`,
    `w = offset + sum_t alpha_t * b_t`, b = +-1) take the same kernel with
    another decode step, by table look-up (LUT-GEMM / T-MAC):
    `signs` `[ceil(N/16), K/8, p, 16]` i8 holds per panel, 8 k and plane a
    byte of sign bits per row, `coefs` `[ceil(N/16), K/g, p + 1, 16]` f32
    the alphas and the offset. Before the panels, per row of x, the sum of
    x over each group (the offset term) and per 4 k the table of the 16
    signed sums `+-x[k] +-x[k+1] +-x[k+2] +-x[k+3]` (4 FMAs with constant
    +-1 vectors) are computed; per 8 k and plane one 16-byte load gives the
    rows' two 4-bit indices (`andi`, `shrui`), each looked up in x's table
    by 16 dynamic `vector.extract`s into `vector.from_elements` (LLVM makes
    one `vpermps`/`vpermd` of it on AVX-512, with `int8-dot=avx512-vnni`;
    below AVX-512, where a 16-lane permute goes through memory lane by
    lane, 6-7x slower, per 8 lanes each 8-entry half of the table permuted
    by the index mod 8, AVX2's `vpermps` intrinsic with `int8-dot=avx2`
    and 8 dynamic extracts otherwise, and bit 3 of the index, shifted to
    the sign, choosing the half) and added to the plane's
    accumulator; the alphas and offset are applied once per group:
    `y += sum_t alpha_t * acc_t + offset * sum_{k in g} x[k]`. Why a table:
    the direct form, per k and plane a 16-bit mask (`vector.bitcast` to
    `vector<16xi1>`) selecting `acc + x`, takes a mask load (`kmovw`) and
    a masked add per k and plane where the table takes one permute and one
    add per 4 k, and the mask loads throttle it. On the 19M model, 3
    planes g128 (AMD EPYC, AVX-512, 1 thread, best of 4-10 runs on a
    shared machine), decode ran at 428 tokens/s with masks, 952 with the
    table (4-bit uniform g128: 869; binary decoded to f32: 143) and a
    512-token forward at 524 and 868 (4-bit: 1292, f32: 988); a C
    micro-benchmark of one 1024x384 matvec took 57 us (masks), 14 us
    (table), 16 us (4-bit). The table wins at every batch, so it is the
    only binary kernel. Its tables (16 floats per 4 k, 4x the size of x)
    are read again by every panel, which is why a long forward trails the
    4-bit kernel and even the f32 path. Binary groups must be a multiple
    of 8 (a byte of sign bits).

    PVQ codes (`#lq.pvq<dim = D, pulses = P, amp_bits = a, amp_group = G>`,
    a group of D weights `amp * y / ||y||_2`, y the codeword of its index)
    take the same kernel with a decode step that rebuilds y in registers;
    the weight is never expanded. `indices` and `amps` (or `fields`, below)
    `[ceil(N/16), W + 1, 16]` i32 hold each row's index and amplitude-code
    bit streams (as in the `lq.constant`) cut into 32-bit words, word
    `[b, w, j]` of row `16b + j`, plus a word of padding; `steps`
    `[ceil(N/16), 16]` f32. So the weight keeps `B/D + a/G` bits (B =
    ceil(log2 N(D, P))). Per unit of 4 groups (2 or 1 where the row's
    groups do not divide by 4) and panel, each group's 16 indices come from
    two word loads and shifts; the codeword is then walked position by
    position as `lq::PVQCodebook::decode` does, the magnitude at each by a
    binary search of the block starts of row (positions left, pulses
    left): `ceil(log2(P + 2))` `vector.gather`s of a table of
    `(D - 2)(P + 1)(P + 2)` i32, the last two positions in closed form.
    Where the codewords of P(t, k) for the pulse counts k that can be left
    number at most `pvq-table-entries` (default 2^16, a table that stays
    in L2), the last t = 8 or 4 positions are one gather from a table of
    them instead (int8 each, packed in an i64 or i32), at k's offset:
    D = 8 with P <= 6 reads whole codewords (N = 9424, 27008), P = 12
    decodes 4 positions in registers and reads the other 4 from a table
    of 16641 i32, P = 27 (a P(4, k) table of 383041 entries) decodes all 8
    in registers. Measured on a 4096x4096 GEMV (AMD EPYC, AVX-512, 1
    thread, best of runs on a shared machine): P = 5 in 3.3 ms by table
    vs 29 ms in registers, P = 12 in 24 ms (both) vs 34 ms (registers):
    on this core a gather costs about as much as 16 scalar loads, so
    every gather saved counts. The 4 groups of a unit are decoded
    interleaved so their chains of dependent gathers overlap (1 group a
    unit: P = 5 4.2 ms, P = 27 49 ms; 4: 3.3 and 42 ms). So the tables
    run at about OpenBLAS's f32 sgemv speed at 2.2 bits a weight, but the
    register decode is 7-13x slower than f32: on the 19M model with P = 12
    decode ran at 42 tokens/s packed, 242 decoded to f32 at compile time
    (lq-expand), 271 in f32, with a peak RSS of 547, 682 and 1018 MB.
    So by default only codebooks of at most `pvq-table-entries` codewords
    (whole codewords from the table) are packed, the others left for
    `lq-expand`; `pvq-registers=true` packs them too. A group's dot
    product with x is scaled once by its `amp / ||y||` (`amp = (a + 1) *
    step`, `||y|| = sqrt((float) sum y^2)`, as the reference decoder); the
    tiled path multiplies each k by it instead. Where one amplitude code
    belongs to each group (G = D), index and code are one stream, `fields`
    (`index | code << B`), so a group takes one field extraction. Where
    the whole codeword of D = 4 or 8 comes from the table and P <= 7, an
    entry is an i64 holding `y + 8` in 4-bit fields and the f32 `1 /
    ||y||` above them, read lane by lane (scalar loads, two lanes' indices
    moved to integer registers at once: on AVX2 the vector-to-integer
    moves bound this, and LLVM's gather there is the same loads, a
    `vpgatherdq` slower still); each position is decoded in place as the
    uniform codes' fields are (or-ed into the mantissa of 2^23, minus the
    bias), x scaled by the inverse power of 16, and the unit loop (2
    groups) looks the next unit up a step ahead, so the loads' latency
    hides behind the FMAs. At batch 1 (AMD EPYC Zen 3, AVX2, 2 threads)
    that took the P = 6 kernel from 4.3-5.5x to about 2.1x the 4-bit
    uniform kernel's time (docs/results/cpu.md). Indices over 31 bits (i32 lanes) and D > 16 are
    left for `lq-expand`.

    W4A8 (`int8-dot=avx512-vnni` or `avx2`, for targets with those
    instructions): `lq.matmul ... act(8)`
    of 4-bit codes (any group size; symmetric or asymmetric) runs on int8
    dot products. The kernel first quantizes every row of x to int8
    exactly as `lq-expand` does (`s_x = max|x_row| / 127`, 1 for a zero
    row; `round_half_even(x / s_x)` clamped to 127), each group's codes
    padded with zeros to a multiple of 8 k, and sums them per group; then
    `y[m, n] = s_x[m] * sum_g s[n, g] * (sum_{k in g} q[n, k] x_q[m, k] -
    z[n, g] * sum_{k in g} x_q[m, k])`, the integer sums on `vpdpbusd`
    (`llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"`: u8 codes times
    s8 activations over 4 consecutive k into s32 lanes) or, with
    `int8-dot=avx2`, on each 256-bit half `vpmaddubsw` (pairs of u8 x s8
    into s16: codes below 16 times |x| <= 127 cannot saturate) then
    `vpmaddwd` by ones (pairs of s16 into s32): the same sums. Layout `codes_a8`
    `[ceil(N/16), K'/8, 64]` i8 (K' = K with groups padded to 8 k): unit
    `u` is 16 i32 lanes (rows) whose byte `t` holds `q[16b + j, 8u + t]`
    (low nibble) and `q[16b + j, 8u + 4 + t]` (high nibble); one 64-byte
    load, `andi 0x0F0F0F0F` and `shrui 4` give the two u8 operands, each
    dotted with 4 int8 of x broadcast as an i32. Scales and zero points
    as above. A row of x (decode) keeps 4 i32 accumulators, 4 rows 2 each.
    A static activation scale (`act(8) scale(s)`) replaces `s_x[m]` by `s`
    for every row, with no per-row maximum: the kernel variant
    `..._a8s_...` takes `s` as a trailing f32 argument, so layers of one
    shape still share it.
    With `int8-dot=none` (the default) W4A8 is left for `lq-expand`.

    Anything else (other bit widths, PVQ indices over 31 bits or groups
    over 16 weights, group sizes that are no multiple of the k per byte of
    the narrowest plane: 1, 2, 4 or 8, e.g. odd groups at 4 bits, groups of 12 at 3 bits, binary groups of 12;
    other quantized activations, weights that are not constants) is left
    as it is for `lq-expand`.

    ```mlir
    %w = lq.constant codes(dense_resource<c> : tensor<40x32xi8>) scales(dense_resource<s> : tensor<40x2xf16>)
         : !lq.weight<40x64, #lq.uniform<bits = 4, group = 32>>
    %y = lq.matmul %x, %w : tensor<?x64xf32>, !lq.weight<40x64, #lq.uniform<bits = 4, group = 32>> -> tensor<?x40xf32>
    // becomes
    %codes = arith.constant dense_resource<lq_cpu_w4_0_codes> : tensor<3x32x16xi8>
    %scales = arith.constant dense_resource<lq_cpu_w4_0_scales> : tensor<3x2x16xf32>
    %y = call @lq_cpu_packed_uniform_bits_4_group_32_40x64_mdyn(%x, %codes, %scales)
    ...
    func.func private @lq_cpu_packed_uniform_bits_4_group_32_40x64_mdyn(%x: tensor<?x64xf32>,
        %codes: tensor<3x32x16xi8>, %scales: tensor<3x2x16xf32>) -> tensor<?x40xf32> {
      %padded = tensor.empty(%m) : tensor<?x48xf32>
      %y = scf.forall (%panel) in (3) shared_outs(%out = %padded) -> (tensor<?x48xf32>) {
        %slice = tensor.extract_slice %out[0, %col] [%m, 16] [1, 1]
        // rows 4 at a time, then one at a time; per group, per pair of k:
        //   %q = vector.transfer_read %codes[%panel, %p, %c0] : tensor<3x32x16xi8>, vector<16xi8>
        //   extui, andi, ori 0x4B000000, bitcast, subf 2^23 + z * 2^shift (per group),
        //   vector.fma with vector.broadcast of x[m, k] * 2^-shift (computed once per call)
        //   vector.fma %sum, %scale, %y_row : vector<16xf32>
        //   vector.transfer_write %y_row, %slice[%row, %c0] : vector<16xf32>, tensor<?x16xf32>
        scf.forall.in_parallel { tensor.parallel_insert_slice %rows into %out[0, %col] [%m, 16] [1, 1] }
      }
      %cut = tensor.extract_slice %y[0, 0] [%m, 40] [1, 1]
      return %cut : tensor<?x40xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect", "::mlir::math::MathDialect",
                           "::mlir::LLVM::LLVMDialect"];
  let options = [
    Option<"parallelMinWeights", "parallel-min-weights", "int64_t", "1048576",
           "Kernels of at least this many weights (N x K) run their panels in "
           "parallel (scf.forall); smaller ones in a loop (non-negative)">,
    Option<"int8Dot", "int8-dot", "mlir::lq::Int8Dot", "mlir::lq::Int8Dot::None",
           "The int8 dot products W4A8 (4-bit codes, act(8)) runs on, which the target "
           "must have: none (W4A8 is left to lq-expand), avx2 (vpmaddubsw + vpmaddwd) or "
           "avx512-vnni (vpdpbusd; binary codes' table lookups then take 16-lane permutes)",
           [{mlir::lq::int8DotValues()}]>,
    Option<"pvqTableEntries", "pvq-table-entries", "int64_t", "65536",
           "PVQ: the largest table of codeword tails (8 or 4 positions, int8 "
           "each) the kernel may read instead of decoding those positions in "
           "registers; 0 decodes every position in registers">,
    Option<"pvqRegisters", "pvq-registers", "bool", "false",
           "PVQ: also pack codebooks larger than pvq-table-entries, their codewords "
           "(partly) decoded in registers: smaller, but slower than lq-expand's f32 "
           "weights on the CPUs measured; false leaves them to lq-expand">,
    Option<"tiledMinBatch", "tiled-min-batch", "int64_t", "16",
           "Uniform, binary and PVQ codes on f32 activations: from this many rows of x on "
           "(a prefill), uniform codes take register tiles of 8 rows (each decoded "
           "unit feeds 8 rows) and binary (PVQ) codes dequantize each panel's group "
           "(4 units) once into an f32 tile read by 8-row blocks of x, instead of 4-row tiles; a "
           "dynamic row count chooses at run time. Binary codes below AVX-512 (int8-dot other "
           "than avx512-vnni) take the tile from min(8, this) rows on. 0: never">,
    Option<"releaseSources", "release-sources", "bool", "false",
           "Free the data of an lq.constant's blobs as soon as every layout of it is "
           "packed, where nothing but packed lq.constants refers to them: a model's "
           "weights are then never held twice. Only for a context holding no other "
           "module (a JIT that owns it)">,
  ];
}

def LQCPUReturnArgumentsInPlace : Pass<"lq-cpu-return-arguments-in-place", "::mlir::ModuleOp"> {
  let summary = "Return argument buffers instead of their clones after deallocation";
  let description = [{
    Ownership-based deallocation makes every function result a fresh buffer,
    so `@decode` would copy both KV caches (updated in place in its argument
    buffers) on every step. A `func.return` operand that is the only use of
    a `bufferization.clone` of a function argument of the same type returns
    the argument itself; the caller then gets back the buffer it passed.
    The clone may also be among the buffers a `bufferization.dealloc` frees
    and retains (before `bufferization-lower-deallocations`, which would
    compare it with every other buffer at run time): it leaves the freed
    buffers and the argument is retained instead, unless the ownership the
    dealloc reports for it is used. Runs after
    `ownership-based-buffer-deallocation` and before
    `convert-bufferization-to-memref`.
  }];
}

def LQCPUTileAndVectorize : Pass<"lq-cpu-tile-and-vectorize", "::mlir::ModuleOp"> {
  let summary = "Tile linalg ops on buffers to register blocks and vectorize them";
  let description = [{
    Contractions (linear layers, attention scores and values) are tiled so
    one tile is a register-sized block: `tile-m` rows x `tile-n` columns of
    the output, the reduction advancing `tile-k` elements per step. Loops
    run n outside m, so one panel of the right operand stays in cache while
    all rows stream past. Loops over dynamic extents (the token count) are
    peeled so the main loop has static tiles; remainders are cut into unit
    slices so no tile needs masks. Unit loops are dropped so every tile is a
    2-D contraction that lowers to outer products (FMAs on broadcast rows),
    and accumulators are hoisted into registers across the reduction loop.
    Element-wise ops get their innermost parallel dimension vectorized by
    `tile-n`. `math.exp` becomes a polynomial on vectors. Ops it cannot
    vectorize are left for `convert-linalg-to-loops`. Runs on buffers, after
    bufferization.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect"];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "4", "Rows of a contraction's register tile, in [1, 64]">,
    Option<"tileN", "tile-n", "int64_t", "16",
           "Columns of a contraction's register tile and vector width of element-wise ops, "
           "in [1, 64]">,
    Option<"tileK", "tile-k", "int64_t", "8", "Reduction step of a contraction tile, in [1, 64]">,
  ];
}

def LQWeightTable : Pass<"lq-weight-table", "::mlir::ModuleOp"> {
  let summary = "Read large constant globals through a table of pointers the loader fills";
  let description = [{
    For a compiled library whose weights live in a file beside it: every
    constant `llvm.mlir.global` whose value holds at least `min-bytes` bytes
    (a `dense_resource` or non-splat `dense` attribute of 8-, 16-, 32- or
    64-bit elements) is erased, its value moved into the module's
    `lq.external_weights` dictionary under its name, and each
    `llvm.mlir.addressof` of it becomes a load of its slot in the exported
    array `lq_model_weight_table`: slot `i` for the `i`-th name of the
    dictionary (sorted by name). The library's loader points each slot at
    that weight's data (quant-run compile --shared writes the data as a
    safetensors file; lq::runtime::SharedLibraryModel maps it and fills the
    table) before the first call. Runs on the LLVM dialect, after either
    lowering (CPU, or the GPU's host side, whose device upload then copies
    from the mapped file).

    ```mlir
    llvm.mlir.global private constant @w(dense_resource<w> : tensor<64x64xf32>) : !llvm.array<64 x array<64 x f32>>
    %0 = llvm.mlir.addressof @w : !llvm.ptr
    // becomes
    module attributes {lq.external_weights = {w = dense_resource<w> : tensor<64x64xf32>}} {
      llvm.mlir.global external @lq_model_weight_table() : !llvm.array<1 x ptr>
      %t = llvm.mlir.addressof @lq_model_weight_table : !llvm.ptr
      %s = llvm.getelementptr %t[0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<1 x ptr>
      %0 = llvm.load %s : !llvm.ptr -> !llvm.ptr
    ```
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", "4096",
           "Globals of fewer bytes stay in the code (positive)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LQCPUExternalWeights : Pass<"lq-cpu-external-weights", "::mlir::ModuleOp"> {
  let summary = "Turn large constant globals into external declarations bound at run time";
  let description = [{
    Every constant `memref.global` whose initial value holds at least
    `min-bytes` bytes (a `dense_resource` or non-splat `dense` attribute of
    whole-byte elements) loses its initial value and becomes a public
    external declaration without an alignment; the value moves into the
    module's `lq.external_weights` dictionary under the global's name. The
    JIT of quant-run binds each such symbol to the value's bytes, which the
    MLIR context keeps alive, so the weights never pass through LLVM:
    compile time and memory depend on the code and shapes alone, and the
    code reads the packed weights where the module holds them. Runs after
    bufferization (which turns constants into globals). Without a binding
    the symbols stay undefined: modules for `mlir-runner` or object files
    keep their weights (the pipeline's `external-weights=false`).

    ```mlir
    memref.global "private" constant @__constant_3x33x16xi8 : memref<3x33x16xi8> = dense_resource<w> {alignment = 64 : i64}
    // becomes
    module attributes {lq.external_weights = {__constant_3x33x16xi8 = dense_resource<w> : tensor<3x33x16xi8>}} {
      memref.global constant @__constant_3x33x16xi8 : memref<3x33x16xi8>
    ```
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", "4096",
           "Globals of fewer bytes stay in the code (positive)">,
  ];
}

def LQCPUCopiesToLinalg : Pass<"lq-cpu-copies-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    `memref.copy` between strided buffers lowers to a call into MLIR's C
    runner library; as `linalg.copy` it becomes loops, so neither the JIT nor
    objects written for ahead-of-time use depend on that library.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // LQ_CONVERSION_LQTOLLVMCPU_PASSES_TD
