//===- KernelPlan.h - lq-lower-to-nvptx: what to build, before building -*- C++ -*-===//
//
// Strategy selection for lq-lower-to-nvptx, apart from IR building (the
// IREE KernelConfig split): planMatmul checks one lq.matmul against what the
// kernels can do and decides everything about its kernel (family, tiling,
// launch) before any IR exists. A KernelPlan holds what every family shares
// plus one family's plan; the kernel builders of Kernels.h read it, and the
// driver fills in the names and the packed weight.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_KERNELPLAN_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_KERNELPLAN_H

#include "lq/Conversion/LQToNVPTX/Chip.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Runtime/GPULayout.h"

#include <string>
#include <variant>
#include <vector>

namespace mlir::lq::nvptx {

/// The `.minnctapersm` that caps a block of `threads` threads at
/// `registers` registers per thread (64K registers per SM).
int64_t blocksForRegisters(int64_t threads, int64_t registers);

/// The tiling of the chunked mma.sync GEMV (GemvMma.h) that the W4 and
/// binary kernels share: one block per 16 output rows, its warps splitting
/// K into chunks.
struct GemvMmaTiling {
  int64_t warps = 1;      ///< warps per block, splitting K
  int64_t unroll = 1;     ///< chunks per loop iteration (loads in flight)
  int64_t batchTiles = 1; ///< mma column tiles of 8 batch rows
  int64_t chunks = 0;     ///< chunks per row tile: 64 columns (W4), 256 (binary)
  bool prefetch = true;   ///< next iteration's weight loads before this one's math
};

/// 4-bit uniform codes on mma.sync.m16n8k16 (GemvW4.cpp).
struct W4GemvPlan : GemvMmaTiling {
  static constexpr StringLiteral kernelPrefix = "lq_w4_gemv_";
  bool symmetric = true;
  int64_t stages = 0; ///< cp.async ring stages (0: no ring)
  ::lq::gpu::W4Blob blob;
};

/// GPTQT binary codes: `planes` sign planes, `chunks` counts 256-column
/// superchunks (GemvBinary.cpp).
struct BinaryGemvPlan : GemvMmaTiling {
  static constexpr StringLiteral kernelPrefix = "lq_bin_gemv_";
  int64_t planes = 1;
  /// The planes folded into f16 weights before one mma (f16-weights-min-batch).
  bool foldF16 = false;
  ::lq::gpu::BinaryBlob blob;
};

/// The tiling of the register-tiled 4-bit GEMM (W4Gemm.cpp) that W4A8 and
/// the W4A16 GEMM share: blocks of rowWarps x kWarps warps; a warp holds
/// warpTiles row tiles x nTiles batch tiles of 8 rows and takes K units
/// kw, kw + kWarps, ...; batches above 8 * nTiles take batchBlocks blocks
/// per row block.
struct W4GemmTiling {
  int64_t rowWarps = 1, kWarps = 1, nTiles = 1, batchBlocks = 1, warpTiles = 1;
  int64_t chunks = 0, unroll = 1;
  bool prefetch = true;
};

/// W4A8: int8 activations (a quantization kernel first), int8 mma
/// (m16n8k32) on the GEMM tiling.
struct W4A8Plan : W4GemmTiling {
  static constexpr StringLiteral kernelPrefix = "lq_w4a8_gemm_";
  // On sm_90+ the GEMM may launch while the activation quantization kernel
  // runs (programmatic dependent launch); it waits for it with
  // griddepcontrol.wait before reading anything.
  bool dependentLaunch = false;
  /// The quantization kernel's block size, and the scratch buffer it writes
  /// (int8 codes at 0, f32 scales at qScalesOffset).
  int64_t quantThreads = 256, scratchBytes = 0, qScalesOffset = 0;
  std::string quantName;
  ::lq::gpu::W4Blob blob;
};

/// W4A16 above the GEMV's batches: f16 activations read directly, codes
/// dequantized to f16 as in the W4 GEMV (the same blob, packW4), f16 mma
/// (m16n8k16) on the GEMM tiling.
struct W4GemmPlan : W4GemmTiling {
  static constexpr StringLiteral kernelPrefix = "lq_w4_gemm_";
  bool symmetric = true;
  /// Group scales applied to the f16 weights before the mma
  /// (f16-weights-min-batch), not to f32 partial sums.
  bool f16Scales = false;
  ::lq::gpu::W4Blob blob;
};

/// PVQ: codes decoded in registers with the N(d, k) table in shared memory
/// (PVQ.cpp).
struct PVQGemvPlan {
  static constexpr StringLiteral kernelPrefix = "lq_pvq_gemv_";
  ::lq::PVQEncoding enc;
  int64_t warps = 1; ///< one output row per warp
  ::lq::gpu::PVQBlob blob;
};

/// Everything decided about one lq.matmul before any IR is built.
struct KernelPlan {
  int64_t rows = 0, cols = 0, batch = 0; ///< N, K, M (all leading input dims flattened)
  int64_t group = 0, groups = 0;         ///< columns per group (PVQ: the dimension)
  bool f32Input = true;                  ///< else f16 activations
  /// The launch of the main kernel, and its `.minnctapersm` (0: none).
  int64_t grid = 0, threads = 0, minBlocks = 0;
  std::string kernelName, weightName;
  std::variant<W4GemvPlan, BinaryGemvPlan, W4A8Plan, W4GemmPlan, PVQGemvPlan> family;

  /// The packed weight the kernel reads.
  const std::vector<uint8_t> &bytes() const {
    return std::visit([](const auto &f) -> const std::vector<uint8_t> & { return f.blob.bytes; },
                      family);
  }
};

/// The pass options planning reads (see lq-lower-to-nvptx in
/// lq/Conversion/Passes.td), and the target's compute capability.
struct PlanOptions {
  int smVersion = 80;
  int64_t warps = 0, unroll = 2, prefetch = -1, stages = 0, dependentLaunch = -1,
          minBlocksPerSM = -1, maxBatchTiles = 8, rowWarps = 0, rowTiles = 0, gemmMinBatch = 0,
          f16WeightsMinBatch = 0;
  /// Whether the host may launch a kernel over row chunks (device-resident
  /// launches only): dynamic row counts and batches above one launch's.
  bool rowChunks = false;
};

/// The plans of `op`, whose weight is `weight`, or failure (diagnosed on
/// `op`). `input` is set to the kernel's activations: the matmul's input,
/// or the f16 value an arith.extf or an extf linalg.generic widened.
///
/// A static row count M that one launch takes gets one plan with batch M.
/// With options.rowChunks, a dynamic M, or one above the family's largest
/// batch, gets one plan per chunk size, largest first: the largest batch
/// and the powers of two below it down to 1 (only the largest for a static
/// M). The host launches the largest size S <= M over ceil(M / S) row
/// chunks, the last one ending at row M (HostLaunch.h).
FailureOr<SmallVector<KernelPlan, 1>> planMatmul(MatmulOp op, ConstantOp weight,
                                              const PlanOptions &options, Value &input);

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_KERNELPLAN_H
