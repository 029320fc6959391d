//===- LQToGPU.h - the GPU lowering pipeline --------------------*- C++ -*-===//
//
// `lq-lower-to-gpu`: whole functions of a model module (a decode step) on
// the GPU, down to the LLVM dialect with the kernels serialized, as named
// stages of upstream and lq passes, like lq-lower-to-cpu.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_LQTOGPU_LQTOGPU_H
#define LQ_CONVERSION_LQTOGPU_LQTOGPU_H

#include "lq/Conversion/LoweringStages.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>

namespace mlir {
class ModuleOp;
class OpPassManager;
} // namespace mlir

namespace mlir::lq {

struct GPULoweringOptions {
  /// The functions that run on the GPU; the module keeps only these.
  SmallVector<std::string> functions = {"decode"};
  /// Activations of lq.matmul: f16 (lq-round-matmul-inputs first: the
  /// kernels read f16 and accumulate in f32), f32 (the f32 kernels; binary
  /// codes go to lq-expand), or auto: f16 for the binary-code matmuls,
  /// whose kernel takes f16 only, and for those of K >= 2048 (large models,
  /// where the f16 GEMV is faster), f32 for the others.
  std::string activations = "auto";
  /// Target chip of every kernel (lq-lower-to-nvptx's and the loops').
  std::string chip = "sm_90a";
  /// Threads per block of the kernels made from loops (lq-gpu-tile-parallel-loops).
  int64_t threads = 256;
  /// lq-expand: decode the weights lq-lower-to-nvptx does not take at
  /// compile time (f32 constants) instead of in every kernel that reads them.
  bool libraryDecode = true;
  /// Reductions run on a thread block per output (lq-gpu-block-reductions)
  /// instead of serially in one thread per output.
  bool blockReductions = true;
  /// A decode step's attention over the cache as one kernel per layer
  /// (lq-gpu-decode-attention) instead of six from its linalg ops.
  bool decodeAttention = true;
  /// Matmuls of one input and weight encoding as one (lq-fuse-sibling-matmuls).
  bool fuseSiblings = true;
  /// Every kernel may start while the one before it finishes (programmatic
  /// dependent launch, lq-gpu-dependent-launch); sm_90 and newer only.
  bool dependentLaunch = true;
  /// Neighbouring launches that share no written buffer as one
  /// (lq-gpu-fuse-independent-launches).
  bool fuseLaunches = true;
  /// linalg-fuse-elementwise-ops before bufferization (fewer kernels).
  bool fuseElementwise = true;
  /// gpu-module-to-binary's CUDA toolkit (ptxas, libdevice); empty: MLIR's
  /// own search (CUDA_ROOT, CUDA_HOME, CUDA_PATH, its default).
  std::string toolkit;
  /// gpu-module-to-binary's format: isa (PTX, the default), bin (cubin) or
  /// fatbin; the last two need the CUDA toolkit's ptxas at compile time.
  std::string format = "isa";
};

/// One stage: a name for messages and its textual pass pipeline on the module.
SmallVector<LoweringStage> getGPULoweringStages(const GPULoweringOptions &options);

/// Adds the stages to `pm`; a failure is explained on `errs`.
LogicalResult buildGPULoweringPipeline(OpPassManager &pm, const GPULoweringOptions &options,
                                       raw_ostream &errs);

/// The functions with a body of `module` that an lq-gpu-* pass's `functions`
/// option selects (every one when it is empty), in the module's order.
SmallVector<func::FuncOp> getSelectedFunctions(ModuleOp module, ArrayRef<std::string> functions);

/// Whether `op` can move across the kernels of a GPU function: it holds no
/// region and touches no buffer, or only makes or views one (an allocation,
/// a view, pure arithmetic). The passes that fuse linalg ops or merge
/// launches move such ops out of the way.
bool isMovableAcrossKernels(Operation *op);

/// Registers `lq-lower-to-gpu` with its options.
void registerGPULoweringPipeline();

} // namespace mlir::lq

#endif // LQ_CONVERSION_LQTOGPU_LQTOGPU_H
