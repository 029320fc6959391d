//===- KernelPlan.h - lq-lower-to-nvptx: what to build, before building -*- C++ -*-===//
//
// Everything decided about one lq.matmul before any IR is built.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_PASSES_CONVERSION_LQTONVPTX_KERNELPLAN_H
#define LQ_PASSES_CONVERSION_LQTONVPTX_KERNELPLAN_H

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Runtime/GPULayout.h"

#include <string>
#include <vector>

namespace mlir::lq::nvptx {

/// `sm_XY` or `sm_XYa`: the compute capability, or failure.
FailureOr<int> parseChip(StringRef chip);

/// The `.minnctapersm` that caps a block of `threads` threads at
/// `registers` registers per thread (64K registers per SM).
int64_t blocksForRegisters(int64_t threads, int64_t registers);

/// Everything decided about one lq.matmul before any IR is built.
struct W4Plan {
  int64_t rows, cols, batch; // N, K, M (all leading input dims flattened)
  int64_t group, groups;
  bool symmetric, f32Input;
  int64_t warps, unroll, batchTiles, chunks;
  bool prefetch;
  int64_t minBlocks, stages;
  // W4A8 on sm_90+: the GEMM may launch while the activation quantization
  // kernel runs (programmatic dependent launch); it waits for it with
  // griddepcontrol.wait before reading anything.
  bool dependentLaunch = false;
  ::lq::gpu::W4Blob blob;
  // GPTQT binary codes: `planes` sign planes; then `chunks` counts 256-column
  // superchunks and `bblob` holds the packed weight.
  bool binary = false;
  int64_t planes = 0;
  ::lq::gpu::BinaryBlob bblob;
  // W4A8: int8 activations (a quantization kernel first), int8 mma. The
  // GEMM's blocks are rowWarps x kWarps warps over nTiles batch tiles of 8;
  // `grid` and `threads` are the launch of the main kernel for every kind.
  bool w4a8 = false;
  int64_t rowWarps = 1, kWarps = 1, nTiles = 1, batchBlocks = 1, warpTiles = 1;
  int64_t quantThreads = 256, scratchBytes = 0, qScalesOffset = 0;
  // PVQ: codes decoded in registers with the N(d, k) table in shared memory.
  bool pvq = false;
  ::lq::PVQEncoding pvqEnc;
  ::lq::gpu::PVQBlob pblob;
  int64_t grid = 0, threads = 0;
  std::string kernelName, weightName, quantName;
  const std::vector<uint8_t> &bytes() const {
    return binary ? bblob.bytes : pvq ? pblob.bytes : blob.bytes;
  }
};

/// The pass options planning reads.
struct PlanOptions {
  int smVersion = 80;
  int64_t warps = 0, unroll = 2, prefetch = -1, stages = 0, dependentLaunch = -1,
          minBlocksPerSM = -1, maxBatchTiles = 8, rowWarps = 0, rowTiles = 0;
};

FailureOr<W4Plan> planMatmul(MatmulOp op, ConstantOp weight, const PlanOptions &o, Value &input);

} // namespace mlir::lq::nvptx

#endif // LQ_PASSES_CONVERSION_LQTONVPTX_KERNELPLAN_H
