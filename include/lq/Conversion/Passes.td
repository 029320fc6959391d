//===- Passes.td - conversions into and out of lq ----------*- tablegen -*-===//
//
// Conversions between the lq world and upstream dialects: into it, the
// import of linalg model IR that other frontends export; out of it, to
// linalg (the reference semantics), to NVPTX kernels with their host
// launches, and the CPU code generation down to the LLVM dialect.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_PASSES_TD
#define LQ_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// LinalgToLQ
//===----------------------------------------------------------------------===//

def LQImportLinalg : Pass<"lq-import-linalg", "::mlir::ModuleOp"> {
  let summary = "Bring exported linalg-on-tensors model IR into the linear form of the lq passes";
  let description = [{
    Finds, in any linalg-on-tensors module, the contractions of an
    activation with a constant weight and rewrites each into the linear
    layer of docs/ModelIR.md, which `lq-quantize-weights`, calibration and
    the other lq passes read: a transposed-B `linalg.matmul` of a
    `[tokens, in]` f32 input and an `[out, in]` constant, into a zero fill,
    tagged `lq.role`. Reshapes and transposes around it keep the function
    unchanged; a non-zero init (a bias the frontend accumulated into) is
    added after it.

    Contractions are recognised by `linalg::isaContractionOpInterface`
    (`linalg.matmul` with any maps, `linalg.batch_matmul`, `linalg.matvec`,
    `linalg.vecmat`, a multiply-accumulate `linalg.generic`); their
    dimensions by which operands index them: reduction dims are `in`, dims
    of the weight and the result are `out`, the rest are tokens. Batch dims
    (in all three operands) fold into the tokens when the weight does not
    vary along them (torch-mlir's `aten.linear`: a transpose of the weight,
    a broadcast to `1xKxN`, `linalg.batch_matmul`). The weight is evaluated
    on the host through `linalg.transpose`, `linalg.broadcast`, copy-only
    `linalg.generic`s, `tensor` reshapes and casts and `linalg.fill` of a
    constant; when it is exactly the frontend's `[out, in]` constant that
    constant is reused, otherwise a new `dense_resource` blob holds it.

    ```mlir
    %t = linalg.transpose ins(%w : tensor<120x400xf32>) outs(%e : tensor<400x120xf32>) permutation = [1, 0]
    %y = linalg.matmul ins(%x, %t : tensor<1x400xf32>, tensor<400x120xf32>) outs(%zero : tensor<1x120xf32>) -> tensor<1x120xf32>
    // becomes
    %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                        affine_map<(m, n, k) -> (m, n)>]
           ins(%x, %w : tensor<1x400xf32>, tensor<120x400xf32>) outs(%zero : tensor<1x120xf32>)
           {lq.role = "..."} -> tensor<1x120xf32>
    ```

    The role is the weight blob's name when it has one (`linear<N>`
    otherwise); uses of one weight share it, so statistics calibrated on one
    function apply to all. Linears already in the form keep their role.

    Everything else stays as it is. A convolution with a constant filter
    (quantized only in im2col + matmul form), a contraction that is not
    f32, whose weight varies along a batch dim or is computed by an op the
    pass cannot evaluate, and any other op reducing over a constant operand
    (`linalg.quantized_matmul`) get a remark naming the op and the reason.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// LQToLinalg
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// LQToNVPTX
//===----------------------------------------------------------------------===//

def LQLowerToNVPTX : Pass<"lq-lower-to-nvptx", "::mlir::ModuleOp"> {
  let summary = "Lower lq.matmul to NVPTX kernels (gpu.module) and host launches";
  let description = [{
    Every `lq.matmul` whose weight is an `lq.constant` becomes a kernel in
    the `gpu.module @lq_gpu_kernels` (targeting `#nvvm.target<chip = ...>`)
    plus host code: the activation is copied to the device, the kernel is
    launched with `gpu.launch_func`, and the result is copied back. The
    weight is re-packed at compile time into the layout of
    docs/GPULayout.md (coalesced 128-bit loads) and uploaded to the device
    once, on first use.

    Kernels (GEMV, batch up to 8 * max-batch-tiles rows, mma.sync tensor
    cores with f32 accumulation): 4-bit uniform codes (symmetric or not,
    per-channel or groups that are multiples of 64) with f16 activations (an
    `arith.extf` from f16 feeding the matmul, or an element-wise
    `linalg.generic` of one, as `lq-round-matmul-inputs` makes, is looked
    through) or f32
    (split into two f16 parts); GPTQT binary codes (1-8 sign planes, K a
    multiple of 256) with f16 activations: one mma per plane, summed exactly
    in f32 and scaled per group (`f16-weights-min-batch=-1`), or, by
    default, the planes folded into f16 weights in registers and one mma
    (the precision of an fp16 matmul, P + 1 times fewer mmas).

    W4A16 GEMM (4-bit uniform codes, f16 activations, batches from
    `gemm-min-batch` up, by default those past the GEMV's, any batch): the W4A8 GEMM's tiling below (row tiles
    per warp sharing each activation fragment, row warps sharing activation
    loads, batch blocks) on `mma.sync.m16n8k16`, the codes dequantized to
    f16 in registers as in the GEMV, reading the same packed weight.

    W4A8 (`act(8)` with symmetric 4-bit codes, any batch): a kernel
    quantizes each activation row to int8 (the f32 arithmetic of
    `lq.quantize`) into a scratch buffer; a GEMM kernel expands the int4
    weights to int8 in registers and runs `mma.sync.m16n8k32` (s8 x s8 ->
    s32), scaling the int32 sums per group in f32. Blocks of row-warps x
    warps warps share activation loads; batches above 8 * max-batch-tiles
    rows take several batch blocks. Static activation scales
    (`act(8) scale(s)`) have no GPU kernel: an error, or with
    `skip-unsupported` a remark and `lq-expand`'s arithmetic.

    PVQ (`#lq.pvq`, indices of at most 32 bits, batch up to 8): a GEMV on
    the CUDA cores that decodes each index in registers, finding each
    position's magnitude by a branch-free binary search of a block-start
    table in shared memory, and scales each group's dot product by
    amp / ||y||.

    Row counts (M, all leading input dimensions flattened): a static M that
    one launch takes is one kernel of batch M. With `device-resident`, a
    dynamic M (a prompt's T tokens) or a larger static one is launched over
    row chunks: one kernel instance per chunk size S (the family's largest
    batch: 8 * max-batch-tiles rows for the GEMVs, 256 for the GEMMs (W4A16
    with f16 activations, W4A8), 8 for PVQ;
    for a dynamic M also the powers of two below it, down to 1), and on the
    host, for the largest S <= M, an `scf.for` of ceil(M / S) launches at
    row offsets min(i * S, M - S): the last chunk ends at row M, overlapping
    the one before (its rows computed again) rather than reading or writing
    past it. Without `device-resident` such row counts are refused.

    Shapes the kernels cannot tile, other activation widths and unsupported
    chips are errors.

    Follow with `--convert-gpu-to-nvvm --gpu-module-to-binary` for PTX or
    a cubin, and with `gpu-to-llvm` for the host side.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::func::FuncDialect",
                           "::mlir::cf::ControlFlowDialect"];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "Target chip (sm_80 or newer); empty: attach no target (use nvvm-attach-target)">,
    ListOption<"functions", "functions", "std::string",
               "Lower only the lq.matmul ops of these functions (default: all), e.g. a "
               "model's `decode`; the others are left for the CPU path">,
    Option<"deviceResident", "device-resident", "bool", "false",
           "The activations and results already live in device-accessible memory "
           "(lq-lower-to-gpu): pass them to the kernel as they are, with no copies; "
           "the result is a memref.alloc (lq-gpu-device-memory makes it device memory) "
           "and the weight upload is called at the start of the function">,
    Option<"skipUnsupported", "skip-unsupported", "bool", "false",
           "Leave an lq.matmul no kernel takes (shape, encoding, activation width) as it "
           "is, with a remark saying why, for lq-expand to lower (lq-lower-to-gpu), "
           "instead of failing">,
    Option<"warps", "warps", "int64_t", "0",
           "Warps per thread block, splitting K (0: 16 for fewer than 384 row tiles, else 8)">,
    Option<"unroll", "unroll", "int64_t", "2",
           "128-bit weight loads in flight per lane (fewer for large batches)">,
    Option<"prefetch", "prefetch", "int64_t", "-1",
           "1: issue the next iteration's weight loads (W4A8: and activation loads) "
           "before the current math; 0: load just before use; -1: automatic (1, "
           "except W4A8 group codes above batch 16 on N >= 8192)">,
    Option<"stages", "stages", "int64_t", "0",
           "Stream weights through a shared-memory ring of this many cp.async "
           "stages (0: prefetch into registers)">,
    Option<"dependentLaunch", "dependent-launch", "int64_t", "-1",
           "W4A8: 1: the GEMM waits for the activation quantization kernel with "
           "griddepcontrol.wait and that kernel signals launch_dependents, so the "
           "runtime may launch the GEMM while it runs (programmatic dependent "
           "launch, sm_90+); 0: no; -1: 1 on sm_90 and newer up to batch 16">,
    Option<"minBlocksPerSM", "min-blocks-per-sm", "int64_t", "-1",
           "Resident blocks per SM to size registers for (0: let ptxas choose; -1: "
           "GEMV kernels (W4, binary) at most 64 registers per thread up to batch 16, "
           "128 above; W4A8 128 above batch 16, else 0; the W4A16 GEMM 1 up to batch 128, else "
           "128 registers; PVQ 0)">,
    Option<"maxBatchTiles", "max-batch-tiles", "int64_t", "8",
           "Largest batch, in tiles of 8 rows, the GEMV kernel accepts; the GEMMs' "
           "batch tiles per block">,
    Option<"gemmMinBatch", "gemm-min-batch", "int64_t", "0",
           "4-bit codes with f16 activations: batches from this one up take the "
           "W4A16 GEMM, smaller ones the GEMV (at most 8 * max-batch-tiles + 1; 0: "
           "8 * max-batch-tiles + 1, batches past the GEMV's; -1: the GEMV only)">,
    Option<"f16WeightsMinBatch", "f16-weights-min-batch", "int64_t", "0",
           "Batches from this one up round their dequantized weights to f16 before the "
           "mma, as an fp16 matmul's weights are: binary codes fold the sign planes "
           "(offset + sum of +-alpha in f16) into one mma instead of one exact mma per "
           "plane; the W4A16 GEMM multiplies group scales into the f16 weights instead of "
           "scaling f32 partial sums (0: binary codes from batch 1, the W4A16 GEMM "
           "never; -1: never)">,
    Option<"rowWarps", "row-warps", "int64_t", "0",
           "W4A8 and W4A16 GEMMs: warps per block on different row tiles, sharing activation "
           "loads (0: for N >= 16384 4 up to batch 16, else 8; 8 for N >= 8192 above "
           "batch 64; 4 for smaller N above batch 64; else 2; the W4A16 GEMM 4 up to "
           "batch 128); `warps` then sets the "
           "warps splitting K (0: automatic)">,
    Option<"rowTiles", "row-tiles", "int64_t", "0",
           "W4A8 and W4A16 GEMMs: 16-row tiles per warp, sharing each activation fragment "
           "(0: 2 for batches above 16, else 1)">,
  ];
}

//===----------------------------------------------------------------------===//
// LQToGPU: the stages of the `lq-lower-to-gpu` pipeline that upstream lacks
// (the pipeline itself is registered in passes/Conversion/LQToGPU/Pipeline.cpp)
//===----------------------------------------------------------------------===//

def LQGPUTileParallelLoops : Pass<"lq-gpu-tile-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Collapse and tile the outermost scf.parallel loops of GPU functions into blocks of threads";
  let description = [{
    Every outermost `scf.parallel` in the `functions` is collapsed into one
    dimension (`collapseParallelLoops`; the original indices are recovered
    with div/rem) and tiled by `threads`, so the outer loop enumerates blocks
    and the inner loop (at most `threads` iterations, one per thread) the
    threads of a block; `gpu-map-parallel-loops` then maps the two onto x.
    Without collapsing, the mapping gives at most three dimensions to the
    grid and runs the others serially in every thread, and a unit or short
    dimension mapped onto the threads can leave a long dynamic one (the
    positions of a KV cache) serial: in a 19M model's decode step such
    kernels took 20-25 us each. Upstream's `scf-parallel-loop-tiling`
    tiles the leading dimensions, which in model code are the short ones
    (the batch row of a decode step).

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %n) step (%c1, %c1) { ... }
    // becomes, with threads = 256 (%p = 4 * %n):
    scf.parallel (%b) = (%c0) to (%p) step (%c256) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
        scf.if (%b + %t < %p) { %i, %j = delinearized %b + %t ... }
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Tile the loops of these functions (default: all)">,
    Option<"threads", "threads", "int64_t", "256",
           "Iterations of the innermost dimension per block, in [1, 1024]">,
  ];
}

def LQGPUUnshareFills : Pass<"lq-gpu-unshare-fills", "::mlir::ModuleOp"> {
  let summary = "Give every use of a shared linalg.fill of an empty tensor its own fill";
  let description = [{
    CSE merges the identical fills that initialize every layer's reductions
    (RMSNorm's sum, softmax's maximum and sum, attention's products) into
    one. Each reduction overwrites its init, so bufferization then copies
    the shared fill into a fresh buffer per reduction; on the GPU, each copy
    is a kernel launch. Here every use of such a fill but the first gets a
    `tensor.empty` and a fill of its own, placed just before it, which
    bufferize in place (and `lq-gpu-block-reductions` folds into the
    reduction's kernel).

    ```mlir
    %e = tensor.empty() : tensor<1xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1xf32>) -> tensor<1xf32>
    %a = linalg.generic ... outs(%f : tensor<1xf32>)
    %b = linalg.generic ... outs(%f : tensor<1xf32>)
    // becomes
    %a = linalg.generic ... outs(%f : tensor<1xf32>)
    %e2 = tensor.empty() : tensor<1xf32>
    %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1xf32>) -> tensor<1xf32>
    %b = linalg.generic ... outs(%f2 : tensor<1xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Unshare the fills of these functions (default: all)">,
  ];
}

def LQGPUDecodeAttention : Pass<"lq-gpu-decode-attention", "::mlir::ModuleOp"> {
  let summary = "Lower a decode step's attention over the KV cache to one kernel per layer";
  let description = [{
    Runs on linalg on tensors, before element-wise fusion and
    bufferization. quant-import emits the attention of one query position
    (a decode step, T = 1) over a window of the cache as seven linalg ops:
    the scores q . k over the head dimension, the causal mask and scale,
    the maximum, exp(score - maximum), its sum, the normalization and the
    weighted sum of the values. Through parallel loops and
    `lq-gpu-block-reductions` they are six kernels a layer, and the
    weighted sum's threads stride over the positions, so neighbouring
    threads read values a whole row apart.

    Here the seven become two launches (flash decoding). The first has
    128 / heads blocks of 256 threads per query head (at least one;
    grouped-query heads read their KV head), each over its share of the
    positions, so that the reads of a long cache spread over the SMs:

    - each warp computes the scores of 4 positions at a time, its lanes on
      every 32nd element of the key rows (coalesced), summed by shuffles;
      the masked, scaled scores go to a scratch row per head;
    - the share's maximum m and the sum l of exp(score - m) are block
      reductions (`gpu.all_reduce`), the exponentials written back;
    - each warp sums 4 positions of the values at a time, its lanes on
      every 32nd column (coalesced), and the 8 warps' partial sums of each
      column are added through shared memory into the share's
      unnormalized weighted sum o, written with m and l.

    The second has a block per head and a thread per column: with M the
    largest m, out = sum_i exp(m_i - M) o_i / sum_i exp(m_i - M) l_i.

    Each value is computed with the linalg ops' own operations (exp(x - M)
    as exp(x - m) exp(m - M)); the order of the sums differs. The chain is matched as quant-import emits
    it (query `[1, KV, G, D]`, keys and values `[KV, S, D]` in f32, D a
    multiple of 32, at most 256); anything else is left to the other
    lowerings. `lq.kv_quantize`d caches match too: their dequantized
    window is the keys and values tensor.

    ```mlir
    %scores = linalg.generic ... ins(%q, %keys) outs(%zeros)   // q . k
    %masked = linalg.generic ... ins(%scores) outs(...)        // select(s <= pos, x * scale, -inf)
    ...                                                        // max, exp, sum, 1 / sum
    %att = linalg.generic ... ins(%probs, %values) outs(%zeros)
    // becomes
    %qb = bufferization.to_buffer %q read_only
    ...
    gpu.launch blocks(%h, ...) in (KV * G, 1, 1) threads(%t, ...) in (256, 1, 1) { ... }
    %att = bufferization.to_tensor %out restrict writable
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Lower the attention of these functions (default: all)">,
  ];
}

def LQGPUBlockReductions : Pass<"lq-gpu-block-reductions", "::mlir::ModuleOp"> {
  let summary = "Lower linalg reductions of GPU functions to one thread block per output";
  let description = [{
    Runs on bufferized linalg, before `convert-linalg-to-parallel-loops`.
    Through parallel loops a reduction runs serially, one thread per output
    element; in a decode step that leaves RMSNorm's sum of squares (one
    row) on a single thread, and softmax's maximum and sum and attention's
    weighted sum of the values serial over the whole context. Here every
    linalg op (named ops are generalized) with one reduced dimension, one
    output and a body that folds a value into the output once with an
    `arith` add, mul, min or max (f32, f64 or i32) becomes a `gpu.launch`
    with one block per output element:

    - the block's threads stride over the reduced dimension, each folding
      its share into a partial result (`scf.for` from the thread id, step
      the block size), so neighbouring threads read neighbouring elements;
    - `gpu.all_reduce` combines the partial results (shuffles within warps,
      shared memory across them, `lq-gpu-lower-all-reduce` after outlining);
    - thread 0 folds the total into the output element, as the linalg op's
      body would.

    Blocks have the reduced extent's next power of two threads, at least a
    warp and at most `max-threads` (that many for a dynamic extent).
    Reductions over fewer than `min-reduction` elements stay serial. The
    result differs from the serial order's in the last bits of a sum.

    ```mlir
    linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1), (d0, d1) -> (d0)],
                    iterator_types = ["parallel", "reduction"]}
        ins(%x : memref<4x384xf32>) outs(%sum : memref<4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %sq = arith.mulf %in, %in : f32
      %s = arith.addf %out, %sq : f32
      linalg.yield %s : f32
    }
    // becomes
    gpu.launch blocks(%b, ...) in (4, 1, 1) threads(%t, ...) in (512, 1, 1) {
      %partial = scf.for %r = %t to %c384 step %c512 iter_args(%a = 0.0) { ... }
      %total = gpu.all_reduce add %partial uniform {} : (f32) -> f32
      scf.if (%t == 0) { %sum[%b] = %sum[%b] + %total }
    }
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Lower the reductions of these functions (default: all)">,
    Option<"maxThreads", "max-threads", "int64_t", "256",
           "Most threads of a block, a power of two in [32, 1024]">,
    Option<"rowThreads", "row-threads", "int64_t", "1024",
           "Most threads of a block that also runs the reduction's consumer (a "
           "power of two in [32, 1024]): it covers the row twice, so more threads "
           "than for a reduction alone">,
    Option<"minReduction", "min-reduction", "int64_t", "16",
           "Reductions over fewer (static) elements stay serial">,
  ];
}

def LQGPULowerMath : Pass<"lq-gpu-lower-math", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower the math functions of kernels to NVPTX instructions instead of libdevice";
  let description = [{
    `convert-gpu-to-nvvm` turns `math` ops into calls of libdevice's
    `__nv_*` functions, which `gpu-module-to-binary` links only where it
    finds a CUDA toolkit at build time; without one (a build machine with
    LLVM alone) the PTX keeps unresolved externs and fails to load on the
    GPU. This pass lowers the ones a model's kernels use to calls of LLVM
    intrinsics (`llvm.call_intrinsic`: the pass declares the LLVM dialect's
    own intrinsic ops illegal) that NVPTX selects as instructions:

    - `math.sqrt` (f32, f64) to the `llvm.sqrt` intrinsic (`sqrt.rn`, correctly
      rounded, as libdevice's);
    - `math.roundeven` (f32, f64) to `llvm.roundeven` (`cvt.rni`);
    - `math.exp` (f32) to `llvm.exp2` (`ex2.approx`, 2 ulp) of
      x log2(e), the product split in two by an fma so its rounding does
      not grow with |x|; -inf (a masked softmax entry) gives 0.

    Other math ops are left to libdevice.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect"];
}

def LQGPULowerAllReduce : Pass<"lq-gpu-lower-all-reduce", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower gpu.all_reduce in kernels to shuffles and shared memory";
  let description = [{
    Applies upstream's in-dialect rewrite of uniform `gpu.all_reduce` (a
    butterfly of `gpu.shuffle` within each warp, the warps' results through
    a workgroup buffer of the kernel) and its split of 64-bit shuffles into
    32-bit ones, which `convert-gpu-to-nvvm` lowers. Runs on outlined
    kernels (`gpu.func`), whose workgroup attributions hold the buffer,
    before `convert-scf-to-cf`.
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}

def LQGPUFuseIndependentLaunches : Pass<"lq-gpu-fuse-independent-launches", "::mlir::ModuleOp"> {
  let summary = "Merge neighbouring gpu.launch ops that touch no common buffer into one launch";
  let description = [{
    A decode step's small element-wise kernels often do not depend on each
    other: the rotation of the query, the rotation of the key into its
    cache slot and the copy of the value into its slot each take a launch
    of a few microseconds, mostly launch latency. Two consecutive
    `gpu.launch` ops of a GPU function (only allocations, views and pure
    ops between them) become one when neither writes a buffer the other
    reads or writes; the merged launch has the blocks of both, the first
    one's blocks running the first body and the rest the second, each with
    its own block size (threads past it skip the body).

    Buffers are compared by the allocation, function argument or global
    they are views of; distinct function arguments are taken to be
    distinct buffers, as they are for the bufferized functions this
    lowering builds (distinct tensors). A launch is merged only if its
    grid and block are one-dimensional with a constant block size, and its
    body has no barrier, shuffle, reduction across threads or workgroup
    memory (masking threads out of those would change their meaning), and
    no memory effect on anything but such buffers.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Merge the launches of these functions (default: all)">,
  ];
}

def LQGPUDependentLaunch : Pass<"lq-gpu-dependent-launch", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Let every kernel of a module start while the kernel before it finishes";
  let description = [{
    Programmatic dependent launch (sm_90+): each kernel function of the
    module first signals `griddepcontrol.launch_dependents`, so the next
    kernel on the stream may be scheduled as soon as every block of this
    one runs, and then waits (`griddepcontrol.wait`) until the kernel before
    it has completed and its writes are visible, before it touches memory.
    A decode step is a chain of a few hundred small kernels, each a few
    microseconds: launching the next one while the last blocks of the
    previous one drain hides most of the gap between them.

    A kernel that already uses `griddepcontrol` keeps what it has, plus the
    wait if it lacks one (so a kernel never reads memory before its
    predecessor is done). The module gets an external i32 global
    `lq_grid_dependent`: the runtime looks it up when it loads a module of
    any format (PTX, cubin or fatbin) and launches that module's kernels
    with programmatic stream serialization. Launched without it (another
    runtime), the wait returns at once and the kernels run as before.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect"];
}

def LQGPUMergeKernelModules : Pass<"lq-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Put the kernels outlined from each GPU function into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` gives every kernel a `gpu.module` of its own,
    named `<function>_kernel`, `<function>_kernel_0`, ...; each becomes its
    own binary, loaded (for PTX, compiled by the driver) at start-up. This
    pass moves the kernels (and whatever else those modules hold) of each of
    `functions` into the first of its kernel modules, so the function's
    kernels load as one binary, and retargets the `gpu.launch_func` ops.
    Outlining names every kernel after its function: each kernel is renamed
    after its (uniquely named) module. A
    module whose symbols would clash with the merged module's stays apart;
    modules that already have targets are left alone.

    ```mlir
    gpu.module @decode_kernel { gpu.func @decode_kernel(...) kernel {...} }
    gpu.module @decode_kernel_0 { gpu.func @decode_kernel(...) kernel {...} }
    gpu.launch_func @decode_kernel_0::@decode_kernel ...
    // becomes
    gpu.module @decode_kernel {
      gpu.func @decode_kernel(...) kernel {...}
      gpu.func @decode_kernel_0(...) kernel {...}
    }
    gpu.launch_func @decode_kernel::@decode_kernel_0 ...
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Merge the kernel modules of these functions (default: all)">,
  ];
}

def LQGPUDeviceMemory : Pass<"lq-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Put the buffers of GPU functions in device-accessible memory";
  let description = [{
    Runs on the host side of `functions` after `gpu-kernel-outlining`, when
    the kernels read and write buffers that the host allocated:

    - every `memref.alloc` becomes a `gpu.alloc`, placed at the start of
      its block, after the values its sizes depend on: device memory for
      the temporaries only kernels touch (after `gpu-async-region`, stream
      ordered: the runtime serves them from the device's memory pool), and
      `host_shared` (host memory the kernels reach: pinned in lq's CUDA runtime) for what the host reads, the results
      the function returns (or views of them) and buffers the host loads a
      scalar from;
    - every allocation not returned (nor a view of it) is freed with
      `gpu.dealloc` at the end of its block, as is every `memref.dealloc`:
      the frees follow the last kernel on the stream, and the pipeline
      needs no deallocation pass (ownership-based deallocation rejects
      `gpu.launch_func`, which declares no memory effects);
    - every `memref.get_global` of a constant global (the weights, the RoPE
      tables) becomes a call of `@<global>_device`, which uploads the
      global to device memory on its first call and returns the cached copy
      after (the function lq-lower-to-nvptx builds for its packed weights);
      the calls are at the start of the function.

    Placing allocations, uploads and frees at the start and the end leaves
    the launches in between free of host work, so `gpu-async-region` puts
    them on one stream with a single synchronization at the end.

    The host may then only read single-element buffers (a scalar such as the
    decode position); any other op on the host that reads or writes buffer
    data (a loop or copy left outside a kernel, an op no pass lowered to
    the GPU) is an error naming the op.

    ```mlir
    %w = memref.get_global @__constant_64x128xf32 : memref<64x128xf32>
    %a = memref.alloc() {alignment = 64 : i64} : memref<1x64xf32>
    gpu.launch_func @k::@f ... args(%w : memref<64x128xf32>, %a : memref<1x64xf32>)
    // becomes
    %w = call @__constant_64x128xf32_device() : () -> memref<64x128xf32>
    %a = gpu.alloc host_shared () : memref<1x64xf32>
    gpu.launch_func @k::@f ... args(%w : memref<64x128xf32>, %a : memref<1x64xf32>)
    gpu.dealloc %a : memref<1x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "The GPU functions (default: every public function)">,
  ];
}

def LQGPUSyncHostSharedAllocs : Pass<"lq-gpu-sync-host-shared-allocs", "::mlir::ModuleOp"> {
  let summary = "Make host_shared gpu.alloc synchronous again after gpu-async-region";
  let description = [{
    `gpu-async-region` threads its token through every GPU op, but
    `gpu-to-llvm` lowers `gpu.alloc host_shared` (host memory, allocated
    outside any stream) only without async dependencies and token. Each
    such allocation becomes synchronous at the same place; its token's uses
    take its dependency instead (a fresh `gpu.wait async` without one, or
    one joining several).

    ```mlir
    %t0 = gpu.wait async
    %m, %t1 = gpu.alloc async [%t0] host_shared () : memref<16xf32>
    %t2 = gpu.launch_func async [%t1] ...
    // becomes
    %t0 = gpu.wait async
    %m = gpu.alloc host_shared () : memref<16xf32>
    %t2 = gpu.launch_func async [%t0] ...
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

// LQToLLVMCPU's passes, in a file of their own.
include "lq/Conversion/LQToLLVMCPU/Passes.td"

#endif // LQ_CONVERSION_PASSES_TD
