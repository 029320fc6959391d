//===- Pipeline.cpp - the lq-lower-to-gpu pipeline ------------------------===//
//
// Upstream passes and the lq-gpu-* passes, in textual stages so each stage
// reads like the quant-opt invocation that reproduces it.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/LQToGPU/LQToGPU.h"
#include "lq/Conversion/LQToNVPTX/Chip.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::lq;

/// activations=auto: the smallest K whose matmuls read f16 activations.
static constexpr int64_t kAutoF16MinCols = 2048;

/// lq-gpu-round-activations' passes for `activations` (auto, f16 or f32)
/// on `functions` (empty: all); empty for f32.
static std::string activationRounding(StringRef activations, StringRef functions) {
  std::string only = functions.empty() ? "" : ("functions=" + functions + " ").str();
  if (activations == "f16")
    return llvm::formatv("lq-round-matmul-inputs{{{0}type=f16}", only);
  if (activations == "auto")
    return llvm::formatv("lq-round-matmul-inputs{{{0}type=f16 encodings=binary},"
                         "lq-round-matmul-inputs{{{0}type=f16 min-cols={1}}",
                         only, kAutoF16MinCols);
  return "";
}

/// Whether `activations` is one lq-lower-to-gpu and lq-gpu-round-activations take.
static bool checkActivations(StringRef pipeline, StringRef activations, raw_ostream &errs) {
  if (activations == "auto" || activations == "f16" || activations == "f32")
    return true;
  errs << pipeline << ": activations must be auto, f16 or f32, got '" << activations << "'\n";
  return false;
}

/// The host side down to the LLVM dialect (as test/GPU's %gpu-to-host-llvm).
static constexpr const char *kHostToLLVM =
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
    "gpu-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"
    "convert-func-to-llvm,convert-cf-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts";

SmallVector<LoweringStage> mlir::lq::getGPULoweringStages(const GPULoweringOptions &options) {
  std::string functions = llvm::join(options.functions, ",");
  SmallVector<LoweringStage> stages;
  // Only the GPU functions stay (public, with their C interface).
  stages.push_back({"select", llvm::formatv("symbol-privatize{{exclude={0}},symbol-dce", functions)});
  // Matmuls of one input (q, k, v; gate, up) as one: fewer, larger
  // kernels. Before the rounding, which gives each matmul an input of its own.
  if (options.fuseSiblings)
    stages.push_back(
        {"siblings", llvm::formatv("lq-fuse-sibling-matmuls{{functions={0}}", functions)});
  // f16 activations: rounded where they are made, which the fuse stage
  // puts into the producing kernel, so the matmul kernels read half the
  // bytes and take one f16 mma instead of a high and a low part (a CPU run
  // of the rounded module computes the same values). `auto` rounds what the
  // binary-code kernel needs, and the inputs of matmuls of K >= 2048:
  // measured on H100, f16 inputs made a 4-layer Llama-2-7B decode step 10 %
  // faster (the four W4 GEMVs of a layer 57.6 us against 70.4) despite the
  // o projection's rounding kernel, but a 19M one (K <= 1024) 9 % slower.
  // A CPU reference of the same arithmetic runs lq-gpu-round-activations
  // alone (scripts/gpu/model-check.sh).
  if (options.activations != "f32")
    stages.push_back({"activations", llvm::formatv("lq-gpu-round-activations{{functions={0} "
                                                   "activations={1}}",
                                                   functions, options.activations)});
  // lq.matmul to lq-lower-to-nvptx's kernels where it takes them, every
  // other lq op to linalg.
  stages.push_back(
      {"lq", llvm::formatv("lq-lower-to-nvptx{{functions={0} chip={1} device-resident=true skip-unsupported=true},"
                           "lq-expand{{library-decode={2}},canonicalize,cse",
                           functions, options.chip, options.libraryDecode ? "true" : "false")});
  // One kernel for a decode step's attention, matched before fusion
  // reshapes its linalg ops.
  if (options.decodeAttention)
    stages.push_back(
        {"attention", llvm::formatv("lq-gpu-decode-attention{{functions={0}}", functions)});
  // Element-wise producers fused into their consumers: each linalg op left
  // becomes at least one kernel launch, which dominate a decode step.
  if (options.fuseElementwise)
    stages.push_back({"fuse", "linalg-fuse-elementwise-ops,canonicalize,cse"});
  // Each reduction's init fill of its own, written in place (no copy).
  stages.push_back(
      {"bufferize", llvm::formatv("lq-gpu-unshare-fills{{functions={0}},eliminate-empty-tensors,"
                                  "one-shot-bufferize{{bufferize-function-boundaries "
                                  "function-boundary-type-conversion=identity-layout-"
                                  "map}",
                                  functions)});
  // No deallocation pass: lq-gpu-device-memory frees every buffer that is
  // not returned at the end of the function (ownership-based deallocation
  // rejects gpu.launch_func, which declares no memory effects). Without its
  // clones, the KV caches come back in place as they are (the function
  // returns its argument buffers). Copies become loops, and so kernels:
  // CSE and folding first drop the copy of a cache slot onto itself that
  // bufferizing the cache's insert_slice leaves (one launch a layer).
  stages.push_back({"copies", "cse,canonicalize,lq-cpu-copies-to-linalg"});
  // Independent neighbouring launches (the query's and key's rotations and
  // the value's copy into the cache) merge into one before outlining.
  // No canonicalization between the parallel loops and their mapping: it
  // would fold single-iteration loops (a one-row reduction) back into host
  // code. Each function's kernels end in one gpu.module: one module load.
  // Constants are sunk back into each launch before outlining (canonicalize
  // hoists them to the function): as kernel arguments, an index divided by
  // a constant would stay a division in the kernel.
  stages.push_back(
      {"kernels",
       llvm::formatv(
           "{2}convert-linalg-to-parallel-loops,lq-gpu-tile-parallel-loops{{functions={0} "
           "threads={1}},func.func(gpu-map-parallel-loops{{mapping-policy=innermost-"
           "first}),convert-parallel-loops-to-gpu,canonicalize,{3}"
           "gpu-launch-sink-index-computations,gpu-kernel-outlining,"
           "lq-gpu-merge-kernel-modules{{functions={0}}",
           functions, options.threads,
           options.blockReductions
               ? llvm::formatv("lq-gpu-block-reductions{{functions={0}},", functions).str()
               : std::string(),
           options.fuseLaunches
               ? llvm::formatv("lq-gpu-fuse-independent-launches{{functions={0}},", functions).str()
               : std::string())});
  stages.push_back({"memory", llvm::formatv("lq-gpu-device-memory{{functions={0}}", functions)});
  // One stream per call, synchronized once before the return.
  stages.push_back({"async", "func.func(gpu-async-region),lq-gpu-sync-host-shared-allocs,"
                             "canonicalize,cse"});
  // Kernels outlined from loops are named <function>_kernel*. Programmatic
  // dependent launch needs sm_90.
  FailureOr<int> sm = nvptx::parseChip(options.chip);
  bool dependentLaunch = options.dependentLaunch && succeeded(sm) && *sm >= 90;
  stages.push_back(
      {"binary",
       llvm::formatv("nvvm-attach-target{{chip={0} O=3 module=^({1})_kernel},"
                     "gpu.module({4}lq-gpu-lower-all-reduce,lq-gpu-lower-math,expand-strided-"
                     "metadata,lower-affine,convert-scf-to-cf,"
                     "convert-gpu-to-nvvm,reconcile-unrealized-casts),"
                     "gpu-module-to-binary{{format={2}{3}}",
                     options.chip, llvm::join(options.functions, "|"), options.format,
                     options.toolkit.empty() ? std::string() : " toolkit=" + options.toolkit,
                     dependentLaunch ? "lq-gpu-dependent-launch," : "")});
  stages.push_back({"to-llvm", kHostToLLVM});
  return stages;
}

LogicalResult mlir::lq::buildGPULoweringPipeline(OpPassManager &pm,
                                                 const GPULoweringOptions &options,
                                                 raw_ostream &errs) {
  if (options.functions.empty()) {
    errs << "lq-lower-to-gpu: functions must name at least one function\n";
    return failure();
  }
  if (options.threads < 1 || options.threads > 1024) {
    errs << "lq-lower-to-gpu: threads must be in [1, 1024], got " << options.threads << "\n";
    return failure();
  }
  if (!checkActivations("lq-lower-to-gpu", options.activations, errs))
    return failure();
  if (options.format != "isa" && options.format != "bin" && options.format != "fatbin") {
    errs << "lq-lower-to-gpu: format must be isa, bin or fatbin, got '" << options.format
         << "'\n";
    return failure();
  }
  return addLoweringStages(pm, getGPULoweringStages(options), "lq-lower-to-gpu", errs);
}

namespace {
struct GPULoweringPipelineOptions : public PassPipelineOptions<GPULoweringPipelineOptions> {
  ListOption<std::string> functions{
      *this, "functions",
      llvm::cl::desc("The functions that run on the GPU; the others are dropped "
                     "(default: decode)")};
  Option<std::string> activations{
      *this, "activations",
      llvm::cl::desc("Activations of the quantized matmuls: f16 (rounded by "
                     "lq-round-matmul-inputs, accumulated in f32), f32, or auto: f16 for "
                     "the binary-code matmuls, whose kernel takes f16 only, and for those of "
                     "K >= 2048 (large models, where the f16 GEMV is faster), f32 for the "
                     "others"),
      llvm::cl::init("auto")};
  Option<std::string> chip{*this, "chip", llvm::cl::desc("Target chip (sm_80 or newer)"),
                           llvm::cl::init("sm_90a")};
  Option<int64_t> threads{*this, "threads",
                          llvm::cl::desc("Threads per block of the kernels made from loops, "
                                         "in [1, 1024]"),
                          llvm::cl::init(256)};
  Option<bool> libraryDecode{*this, "library-decode",
                             llvm::cl::desc("Decode the quantized weights lq-lower-to-nvptx does "
                                            "not take at compile time (false: in the kernels)"),
                             llvm::cl::init(true)};
  Option<std::string> toolkit{*this, "toolkit",
                              llvm::cl::desc("CUDA toolkit whose ptxas and libdevice serialize "
                                             "the kernels (default: MLIR's search)")};
  Option<bool> fuseElementwise{*this, "fuse-elementwise",
                               llvm::cl::desc("Fuse element-wise linalg producers into their "
                                              "consumers (fewer kernels)"),
                               llvm::cl::init(true)};
  Option<bool> blockReductions{*this, "block-reductions",
                               llvm::cl::desc("Reductions on a thread block per output "
                                              "(false: serial, one thread per output)"),
                               llvm::cl::init(true)};
  Option<bool> fuseSiblings{*this, "fuse-siblings",
                            llvm::cl::desc("Matmuls that share their input and weight encoding "
                                           "as one matmul of the stacked weights"),
                            llvm::cl::init(true)};
  Option<bool> decodeAttention{*this, "decode-attention",
                               llvm::cl::desc("A decode step's attention over the cache as one "
                                              "kernel per layer (false: its linalg ops' kernels)"),
                               llvm::cl::init(true)};
  Option<bool> fuseLaunches{*this, "fuse-launches",
                            llvm::cl::desc("Neighbouring kernels that share no buffer one of "
                                           "them writes as one launch"),
                            llvm::cl::init(true)};
  Option<bool> dependentLaunch{
      *this, "dependent-launch",
      llvm::cl::desc("Every kernel may start while the one before it on the stream finishes "
                     "(programmatic dependent launch; sm_90 and newer, ignored below)"),
      llvm::cl::init(true)};
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("Kernel binary format: isa (PTX), bin (cubin) or "
                                            "fatbin (these two run ptxas)"),
                             llvm::cl::init("isa")};
};
struct RoundActivationsPipelineOptions
    : public PassPipelineOptions<RoundActivationsPipelineOptions> {
  ListOption<std::string> functions{
      *this, "functions",
      llvm::cl::desc("Round the matmul inputs of these functions (default: all)")};
  Option<std::string> activations{*this, "activations",
                                  llvm::cl::desc("As lq-lower-to-gpu's: auto, f16 or f32"),
                                  llvm::cl::init("auto")};
};
} // namespace

/// Registers a pipeline whose textual options parse into `Options` and whose
/// `build` reports what is wrong with them on a stream, handed to MLIR's
/// error handler (so `quant-opt` prints it once, with the pipeline's name).
template <typename Options>
static void registerCheckedPipeline(StringRef name, StringRef description,
                                    LogicalResult (*build)(OpPassManager &, const Options &,
                                                           raw_ostream &)) {
  registerPassPipeline(
      name, description,
      [build](OpPassManager &pm, StringRef optionsText,
              function_ref<LogicalResult(const Twine &)> errorHandler) -> LogicalResult {
        Options parsed;
        if (failed(parsed.parseFromString(optionsText)))
          return failure();
        std::string message;
        llvm::raw_string_ostream os(message);
        if (failed(build(pm, parsed, os)))
          return errorHandler(StringRef(message).rtrim());
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) { optHandler(Options()); });
}

void mlir::lq::registerGPULoweringPipeline() {
  registerCheckedPipeline<RoundActivationsPipelineOptions>(
      "lq-gpu-round-activations",
      "lq-lower-to-gpu's activation stage alone: the lq-round-matmul-inputs that its "
      "`activations` option runs (auto: the binary-code matmuls' inputs and those of K >= 2048 "
      "to f16; f16: every matmul's; f32: none), so a CPU run of the result computes what the "
      "GPU pipeline's kernels compute",
      [](OpPassManager &pm, const RoundActivationsPipelineOptions &parsed,
         raw_ostream &os) -> LogicalResult {
        if (!checkActivations("lq-gpu-round-activations", parsed.activations, os))
          return failure();
        std::string passes =
            activationRounding(parsed.activations, llvm::join(parsed.functions, ","));
        return passes.empty() ? success() : parsePassPipeline(passes, pm, os);
      });
  registerCheckedPipeline<GPULoweringPipelineOptions>(
      "lq-lower-to-gpu",
      "Lower the listed functions of a model module (a decode step) to run entirely on the GPU "
      "and the module to the LLVM dialect: lq.matmul kernels of lq-lower-to-nvptx, lq-expand, "
      "bufferization, linalg as parallel loops outlined into kernels, device memory, one stream, "
      "serialized kernels",
      [](OpPassManager &pm, const GPULoweringPipelineOptions &parsed,
         raw_ostream &os) -> LogicalResult {
        GPULoweringOptions options;
        if (!parsed.functions.empty())
          options.functions.assign(parsed.functions.begin(), parsed.functions.end());
        options.activations = parsed.activations;
        options.chip = parsed.chip;
        options.threads = parsed.threads;
        options.libraryDecode = parsed.libraryDecode;
        options.format = parsed.format;
        options.blockReductions = parsed.blockReductions;
        options.decodeAttention = parsed.decodeAttention;
        options.fuseSiblings = parsed.fuseSiblings;
        options.fuseElementwise = parsed.fuseElementwise;
        options.dependentLaunch = parsed.dependentLaunch;
        options.fuseLaunches = parsed.fuseLaunches;
        options.toolkit = parsed.toolkit;
        return buildGPULoweringPipeline(pm, options, os);
      });
}
