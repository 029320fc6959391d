//===- Lowering.h - Model module to the LLVM dialect -----------*- C++ -*-===//
//
// Lowers a model module (linalg on tensors, possibly holding lq ops) in place
// to the LLVM dialect, ready for mlir::ExecutionEngine or object emission:
// the stages of the lq-lower-to-cpu pipeline (lq/Conversion/LQToLLVMCPU),
// run one by one with timings and their diagnostics collected.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUN_LOWERING_H
#define LQ_RUN_LOWERING_H

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace lq::run {

enum class LoweringStrategy {
  /// Weights packed into panels; contractions and element-wise ops tiled
  /// to register blocks and vectorized (lq-cpu-tile-and-vectorize); loops
  /// elsewhere.
  Fast,
  /// Plain loops for every linalg op: slow, the cross-check for Fast.
  Reference,
};

/// The host CPU's int8 dot products: AVX512-VNNI (vpdpbusd, with
/// AVX512BW), else AVX2's, else none.
mlir::lq::Int8Dot hostInt8Dot();

struct LoweringOptions {
  LoweringStrategy strategy = LoweringStrategy::Fast;
  /// lq-expand: decode quantized weights at compile time with the numeric
  /// library (constant f32 weights, fastest) instead of emitting decoding IR.
  bool compileTimeDecode = true;
  /// Fast strategy: 4-bit uniform weights stay packed and are dequantized
  /// inside the dot products (lq-cpu-packed-matmul); other encodings still
  /// go through lq-expand.
  bool packed = true;
  /// Fast strategy, packed: W4A8 (4-bit codes, act(8)) runs on these int8
  /// dot products (none: decoded, activations fake-quantized); by default the
  /// host's, since the JIT compiles for the host.
  mlir::lq::Int8Dot int8Dot = hostInt8Dot();
  /// Weights stay out of the compiled code: the JIT binds them to the
  /// module's data (lq-cpu-external-weights). Off for object files.
  bool externalWeights = true;
  /// The packed kernels' weights are freed as loaded once packed: only when
  /// no other module shares the context (the caller's is lowered in place).
  bool releaseWeights = false;
  /// Repeated layers become one function called per layer
  /// (lq-cpu-outline-layers), so LLVM compiles one layer, not all.
  bool outlineLayers = true;
  /// Parallel loops (the packed kernels' panels) run on OpenMP threads
  /// (see setKernelThreads). Off for object files.
  bool threads = true;
  /// Fast strategy: register tile of contractions (rows x columns x
  /// reduction step); tileN is also the vector width of element-wise ops.
  int64_t tileM = 4, tileN = 16, tileK = 8;
  /// Fast strategy: where to print the module after vectorization (for
  /// tuning; empty: nowhere).
  std::string dumpVectorized;
  /// lowerToGPU: more options of lq-lower-to-gpu, as its textual form
  /// (e.g. "threads=128 block-reductions=false").
  std::string gpuOptions;
  /// Where per-stage timings go (null: silent).
  llvm::raw_ostream *log = nullptr;
};

/// Rewrites `module` into the LLVM dialect. lq ops, if any, are first expanded
/// with lq-expand. On failure the diagnostics are in the error and the module
/// is left in an unspecified state.
llvm::Error lowerToLLVMDialect(mlir::ModuleOp module,
                               const LoweringOptions &options = {});

/// The pipeline that lowers @forward and @decode to run wholly on the GPU,
/// down to the LLVM dialect with embedded device code whose host side calls
/// the mgpu* runtime; found by name among the registered pipelines.
inline constexpr llvm::StringLiteral kGPULoweringPipeline = "lq-lower-to-gpu";

/// Rewrites `module`'s @forward and @decode (those it has; other functions
/// are dropped) with kGPULoweringPipeline; an error naming the pipeline when
/// it is not registered.
llvm::Error lowerToGPU(mlir::ModuleOp module, const LoweringOptions &options = {});

/// Runs the textual `pipeline` on `module` with its diagnostics collected
/// into the error; `stage` names it in messages and in options.log's timing.
llvm::Error runPassPipeline(mlir::ModuleOp module, llvm::StringRef stage,
                            llvm::StringRef pipeline, const LoweringOptions &options = {});
/// Registers the upstream and lq passes the textual pipelines name (once).
void registerRunPasses();

} // namespace lq::run

#endif // LQ_RUN_LOWERING_H
