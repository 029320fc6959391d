//===- Pipeline.cpp - the lq-lower-to-cpu pipeline ------------------------===//
//
// Upstream passes and the lq-cpu-* passes, in textual stages so each stage
// reads like the quant-opt invocation that reproduces it.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::lq;

/// Bufferization of the whole module, function boundaries included. A
/// private function (a layer) that updates an argument in place (its KV
/// cache slot) stops returning it: the caller would otherwise own, and
/// deallocation clone, the buffer the callee returns.
static constexpr const char *kBufferize = "one-shot-bufferize{bufferize-function-boundaries "
                                          "function-boundary-type-conversion=identity-layout-map},"
                                          "drop-equivalent-buffer-results";

/// Deallocation: the entry points run thousands of times in one process, so
/// every temporary must be freed. Upstream's buffer-deallocation-pipeline
/// minus buffer-deallocation-simplification, whose alias proofs (Presburger
/// arithmetic over every tiled loop) cost seconds of compile time to save a
/// few pointer comparisons at run time. The canonicalization first drops the
/// buffers that bufferized loops carry only to yield them unchanged (the
/// packed kernels' output slices): carried, each would get ownership flags
/// and run-time alias checks in the innermost loops. Returned clones of
/// arguments give way to the arguments before the deallocations are
/// lowered (lq-cpu-return-arguments-in-place), which would otherwise
/// compare them with every other buffer at run time.
static constexpr const char *kDealloc =
    "expand-realloc,canonicalize,ownership-based-buffer-deallocation,canonicalize,"
    "lq-cpu-return-arguments-in-place,bufferization-lower-deallocations,cse,canonicalize";

/// From loops, vectors and memrefs down to the LLVM dialect.
static constexpr const char *kToLLVM =
    "convert-vector-to-scf{full-unroll=true},func.func(lower-vector-mask),convert-scf-to-cf,"
    "expand-strided-metadata,lower-affine,convert-vector-to-llvm,finalize-memref-to-llvm,"
    "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,convert-index-to-llvm,"
    "convert-func-to-llvm,convert-cf-to-llvm,convert-ub-to-llvm,convert-openmp-to-llvm,"
    "reconcile-unrealized-casts";

SmallVector<LoweringStage> mlir::lq::getCPULoweringStages(const CPULoweringOptions &options) {
  SmallVector<LoweringStage> stages;
  if (options.vectorize && options.packed)
    stages.push_back(
        {"packed", llvm::formatv("lq-cpu-packed-matmul{{parallel-min-weights={0} int8-dot={1}{2}}",
                                 options.parallelMinWeights, int8DotName(options.int8Dot),
                                 options.releasePackedSources ? " release-sources=true" : "")});
  stages.push_back({"lq-expand", llvm::formatv("lq-expand{{library-decode={0}},canonicalize,cse",
                                               options.libraryDecode ? "true" : "false")});
  if (options.vectorize)
    stages.push_back({"pack", llvm::formatv("lq-cpu-pack-weights{{panel={0}}", options.tileN)});
  // One function per repeated layer, before the code is lowered (and
  // compiled) once per layer.
  if (options.outlineLayers)
    stages.push_back({"outline", "lq-cpu-outline-layers"});
  stages.push_back({"bufferize", kBufferize});
  stages.push_back({"dealloc", kDealloc});
  stages.push_back({"clones", "convert-bufferization-to-memref"});
  // Tiling after bufferization keeps one-shot-bufferize's analysis on the
  // small untiled IR; linalg tiles and vectorizes buffers as well.
  if (options.vectorize)
    stages.push_back({"vectorize", llvm::formatv("lq-cpu-tile-and-vectorize{{tile-m={0} "
                                                 "tile-n={1} tile-k={2}}",
                                                 options.tileM, options.tileN, options.tileK)});
  // Parallel loops (the packed kernels' panels) run on OpenMP threads, or
  // one after another.
  stages.push_back({"loops", std::string(options.threads
                                             ? "scf-forall-to-parallel,convert-scf-to-openmp,"
                                             : "scf-forall-to-for,") +
                                 "lq-cpu-copies-to-linalg,convert-linalg-to-loops,canonicalize,cse"});
  if (options.externalWeights)
    stages.push_back({"external", "lq-cpu-external-weights"});
  stages.push_back({"to-llvm", kToLLVM});
  return stages;
}

LogicalResult mlir::lq::buildCPULoweringPipeline(OpPassManager &pm,
                                                 const CPULoweringOptions &options,
                                                 raw_ostream &errs) {
  for (auto [name, value] : {std::pair{"tile-m", options.tileM}, std::pair{"tile-n", options.tileN},
                             std::pair{"tile-k", options.tileK}})
    if (value < 1 || value > 64) {
      errs << "lq-lower-to-cpu: " << name << " must be in [1, 64], got " << value << "\n";
      return failure();
    }
  return addLoweringStages(pm, getCPULoweringStages(options), "lq-lower-to-cpu", errs);
}

namespace {
struct CPULoweringPipelineOptions : public PassPipelineOptions<CPULoweringPipelineOptions> {
  Option<std::string> strategy{*this, "strategy",
                               llvm::cl::desc("fast (tiled, vectorized, packed weights) or "
                                              "reference (plain loops)"),
                               llvm::cl::init("fast")};
  Option<bool> libraryDecode{*this, "library-decode",
                             llvm::cl::desc("Decode quantized weights at compile time with "
                                            "the numeric library (false: decoding IR)"),
                             llvm::cl::init(true)};
  Option<bool> packed{*this, "packed",
                      llvm::cl::desc("Fast strategy: run 2/3/4/8-bit uniform lq.matmul on packed "
                                     "codes (lq-cpu-packed-matmul) instead of decoded weights"),
                      llvm::cl::init(true)};
  Option<Int8Dot> int8Dot{
      *this, "int8-dot",
      llvm::cl::desc("Packed W4A8 (4-bit codes, act(8)) on the target's int8 dot products: "
                     "none (lq-expand), avx2 or avx512-vnni"),
      llvm::cl::init(Int8Dot::None), int8DotValues()};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run parallel loops (packed kernels' panels) on OpenMP "
                                      "threads; the code then needs the OpenMP runtime (libomp)"),
                       llvm::cl::init(false)};
  Option<int64_t> parallelMinWeights{
      *this, "parallel-min-weights",
      llvm::cl::desc("Packed kernels of at least this many weights run their panels in "
                     "parallel (on threads with threads=true)"),
      llvm::cl::init(1 << 20)};
  Option<bool> externalWeights{*this, "external-weights",
                               llvm::cl::desc("Large constants become external globals listed "
                                              "in lq.external_weights, for a runner that binds "
                                              "them (lq-cpu-external-weights)"),
                               llvm::cl::init(false)};
  Option<bool> outlineLayers{*this, "outline-layers",
                             llvm::cl::desc("Outline repeated layers into one function called "
                                            "per layer (lq-cpu-outline-layers)"),
                             llvm::cl::init(true)};
  Option<int64_t> tileM{*this, "tile-m", llvm::cl::desc("Contraction tile rows, in [1, 64]"),
                        llvm::cl::init(4)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Contraction tile columns, panel and vector width, "
                                       "in [1, 64]"),
                        llvm::cl::init(16)};
  Option<int64_t> tileK{*this, "tile-k", llvm::cl::desc("Contraction reduction step, in [1, 64]"),
                        llvm::cl::init(8)};
};
} // namespace

void mlir::lq::registerCPULoweringPipeline() {
  registerPassPipeline(
      "lq-lower-to-cpu",
      "Lower a model module (linalg on tensors with lq ops) to the LLVM dialect for the CPU: "
      "packed 2/3/4/8-bit kernels (packed=true; W4A8 on int8 dot products with int8-dot), "
      "lq-expand, weight panels, bufferization, deallocation, tiling and vectorization, loops",
      [](OpPassManager &pm, StringRef optionsText,
         function_ref<LogicalResult(const Twine &)> errorHandler) -> LogicalResult {
        CPULoweringPipelineOptions parsed;
        if (failed(parsed.parseFromString(optionsText)))
          return failure();
        CPULoweringOptions options;
        if (parsed.strategy != "fast" && parsed.strategy != "reference")
          return errorHandler("lq-lower-to-cpu: strategy must be 'fast' or 'reference', got '" +
                              parsed.strategy + "'");
        options.vectorize = parsed.strategy == "fast";
        options.libraryDecode = parsed.libraryDecode;
        options.packed = parsed.packed;
        options.int8Dot = parsed.int8Dot;
        options.externalWeights = parsed.externalWeights;
        options.threads = parsed.threads;
        options.outlineLayers = parsed.outlineLayers;
        options.parallelMinWeights = parsed.parallelMinWeights;
        options.tileM = parsed.tileM;
        options.tileN = parsed.tileN;
        options.tileK = parsed.tileK;
        std::string message;
        llvm::raw_string_ostream os(message);
        if (failed(buildCPULoweringPipeline(pm, options, os)))
          return errorHandler(StringRef(message).rtrim());
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(CPULoweringPipelineOptions());
      });
}
