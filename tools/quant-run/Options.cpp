//===- Options.cpp - quant-run's command line -------------------------------===//

#include "QuantRun.h"

#include "llvm/Support/FormatVariadic.h"

namespace quant_run {

cl::SubCommand CalibrateCmd("calibrate",
                            "Attach calibration statistics (docs/ModelIR.md) to the linear layers");
cl::SubCommand CompileCmd("compile",
                          "Write an object file (or, with --shared, a shared library for "
                          "quant-run-aot) and a C header");

cl::SubCommand EmitCmd("emit",
                       "Write a bundle directory for other runtimes: the quantized linears' "
                       "kernels as C-callable libraries (cpu, cuda), their packed weights as "
                       "safetensors, a C header and a JSON manifest (docs/Bundle.md)");

cl::SubCommand CompareCmd("compare",
                          "Run a function of a quantized module and of its float module on the "
                          "same inputs and report the output error");

cl::opt<std::string> ModelPath(cl::Positional, cl::Required,
                               cl::desc("<model module (.mlir or .mlirbc)>"),
                               cl::sub(perplexityCommand()), cl::sub(generateCommand()), cl::sub(CalibrateCmd),
                               cl::sub(CompileCmd), cl::sub(benchCommand()), cl::sub(CompareCmd));
cl::opt<std::string> EmitInput(cl::Positional,
                               cl::desc("<module (.mlir or .mlirbc); none with --matmul>"),
                               cl::sub(EmitCmd));
cl::opt<std::string> ComparePath(
    "compare",
    cl::desc("Also run @forward of this module on the scored windows and report the largest "
             "logit difference relative to the largest logit (function-preservation checks)"),
    cl::value_desc("module"), cl::sub(perplexityCommand()), cl::cat(Cat));
cl::opt<double>
    CompareTolerance("compare-rtol",
                     cl::desc("Relative logit difference --compare accepts (exit 1 beyond)"),
                     cl::init(1e-4), cl::sub(perplexityCommand()), cl::cat(Cat));
cl::opt<int64_t> CalibWindows("windows",
                              cl::desc("Calibration windows (taken from the start of the "
                                       "text; fewer when the text is shorter). GPTQ's "
                                       "Hessians overfit a few windows"),
                              cl::init(128), cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> Sequential(
    "sequential",
    cl::desc("Sequential calibration (GPTQ's): record each step's statistics through the "
             "steps already quantized, then quantize that step's linears with "
             "lq-quantize-weights{OPTIONS}; -o gets the quantized module"),
    cl::value_desc("OPTIONS"), cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> KVReconstruct(
    "kv-reconstruct",
    cl::desc("After calibrating, tune lq-quantize-kv's per-layer KV clipping and 2-D smoothing "
             "exponent against the next layer's output (WKVQuant's cross-block "
             "reconstruction); OPTIONS: windows=N clip=a,b,.. smooth=a,b,..|none sweeps=N "
             "bits=N"),
    cl::value_desc("OPTIONS"), cl::ValueOptional, cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> FPTLearn(
    "fpt-learn",
    cl::desc("After calibrating, learn lq-insert-fpt's value transform (and with mlp=1 its MLP "
             "scaling) per layer with the 4-bit quantizers in the loop (FPTQuant's local "
             "optimisation), recorded as lq.fpt_scale; OPTIONS: windows=N rows=N steps=N lr=X "
             "validation=X mlp=0|1 value=0|1 relative=0|1 down-rotation=0|1 static=0|1 bits=N "
             "weight-bits=N group=N"),
    cl::value_desc("OPTIONS"), cl::ValueOptional, cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> SequentialSteps(
    "sequential-steps",
    cl::desc("Steps of --sequential: 'layer' (one per transformer layer, then lm_head) or "
             "'linear' (one per group of linears reading one activation: q/k/v, o, gate/up, "
             "down)"),
    cl::init("layer"), cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> FunctionName(
    "function",
    cl::desc("The function to run (calibrate without lq.model, compare; default: the module's "
             "one public function)"),
    cl::value_desc("name"), cl::sub(CalibrateCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<std::string> InputsPath(
    "inputs",
    cl::desc("The function's inputs: one .npy (<f4, C order) per argument, comma-separated, "
             "samples stacked on a leading axis; or one raw little-endian f32 file of whole "
             "samples (default: --samples random inputs, with a warning)"),
    cl::value_desc("files"), cl::sub(CalibrateCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<int64_t> Samples("samples", cl::desc("Random input samples when no --inputs"),
                         cl::init(16), cl::sub(CalibrateCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<std::string> FloatPath("float", cl::desc("The float module to compare against"),
                               cl::value_desc("module"), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<std::string> OutputPath("o", cl::desc("Output file (emit: the bundle directory)"),
                                cl::value_desc("file"), cl::sub(CalibrateCmd),
                                cl::sub(CompileCmd), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<std::string> BundleTargets("targets",
                                   cl::desc("Comma-separated targets of the bundle: cpu, cuda"),
                                   cl::init("cpu,cuda"), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<std::string> BundleChips("chips",
                                 cl::desc("Comma-separated GPU architectures whose PTX the cuda "
                                          "library embeds"),
                                 cl::init("sm_80,sm_90a"), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<int64_t> BundleMaxBatch("max-batch", cl::desc("The kernels take batches 1..N"),
                                cl::init(4096), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<std::string> EmitMatmul("matmul",
                                cl::desc("Instead of a module's linears, one matmul of an NxK "
                                         "seeded random weight quantized by --quantize"),
                                cl::value_desc("NxK"), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<std::string> EmitQuantize("quantize",
                                  cl::desc("--matmul: lq-quantize-weights options of its weight"),
                                  cl::init("method=rtn bits=4 group=128"), cl::sub(EmitCmd),
                                  cl::cat(Cat));
cl::opt<int64_t> EmitActBits("act-bits",
                             cl::desc("--matmul: quantize its activations per row to N bits "
                                      "(W4A8: 8); 0 keeps them f32"),
                             cl::init(0), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<bool> BundleReference("reference-weights",
                              cl::desc("Also write reference.safetensors: each linear's weight "
                                       "decoded to f32 by the numeric library"),
                              cl::init(false), cl::sub(EmitCmd), cl::cat(Cat));
cl::opt<std::string> HeaderPath("header", cl::desc("C header to write"), cl::value_desc("file"),
                                cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<bool> Shared("shared",
                     cl::desc("Write a shared library (linked by cc or clang-22) that describes "
                              "itself, for quant-run-aot, instead of an object file"),
                     cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<std::string> WeightsPath(
    "weights",
    cl::desc("With --shared, where the library's weights file (safetensors) goes; default: the "
             "library's path with the extension .safetensors"),
    cl::value_desc("file"), cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<bool> EmbedWeights("embed-weights",
                           cl::desc("With --shared, keep the weights in the library's code "
                                    "instead of a weights file beside it"),
                           cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<std::string> Target("target",
                            cl::desc("Where the compiled code runs: cpu (the host), or cuda "
                                     "(@forward and @decode on the GPU through "
                                     "lq-lower-to-gpu; with --shared)"),
                            cl::init("cpu"), cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<bool> DecodeOnly("decode-only",
                         cl::desc("With --target cuda, compile @decode alone (without "
                                  "@forward, perplexity runs token by token)"),
                         cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<std::string> GPUOptions("gpu-options",
                                cl::desc("With --target cuda, more options of lq-lower-to-gpu "
                                         "(e.g. \"threads=128 block-reductions=false\")"),
                                cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<bool> EmitText("emit-text", cl::desc("Write MLIR text instead of bytecode"),
                       cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> Strategy("strategy",
                              cl::desc("Lowering: fast (tiled, vectorized) or "
                                       "reference (plain loops)"),
                              cl::init("fast"), cl::sub(perplexityCommand()), cl::sub(generateCommand()),
                              cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(benchCommand()),
                              cl::sub(CompareCmd), cl::cat(Cat));
cl::list<int64_t> Tile("tile", cl::desc("Fast strategy register tile: rows,columns,reduction"),
                       cl::CommaSeparated, cl::Hidden, cl::sub(perplexityCommand()), cl::sub(generateCommand()),
                       cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(benchCommand()), cl::sub(CompareCmd));
cl::opt<std::string> DumpVectorized("dump-vectorized",
                                    cl::desc("Print the module after tiling and vectorization"),
                                    cl::value_desc("file"), cl::Hidden, cl::sub(perplexityCommand()),
                                    cl::sub(generateCommand()), cl::sub(CalibrateCmd),
                                    cl::sub(CompileCmd), cl::sub(benchCommand()), cl::sub(CompareCmd));
cl::opt<bool> RuntimeDecode("runtime-decode",
                            cl::desc("Decode quantized weights in the compiled "
                                     "code instead of at compile time"),
                            cl::sub(perplexityCommand()), cl::sub(generateCommand()), cl::sub(CompileCmd),
                            cl::sub(benchCommand()), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<bool> Packed("packed",
                     cl::desc("Run 2/3/4/8-bit uniform weights packed, dequantized inside the dot "
                              "products (fast strategy; the default, =false: decoded)"),
                     cl::init(LoweringOptions().packed), cl::sub(perplexityCommand()),
                     cl::sub(generateCommand()), cl::sub(CompileCmd), cl::sub(benchCommand()), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<mlir::lq::Int8Dot> Int8DotOpt(
    "int8-dot",
    cl::desc("Packed W4A8 on these int8 dot products (default: the host's best; none: W4A8 "
             "decoded, activations fake-quantized)"),
    mlir::lq::int8DotValues(), cl::init(LoweringOptions().int8Dot), cl::sub(perplexityCommand()), cl::sub(generateCommand()),
    cl::sub(CompileCmd), cl::sub(benchCommand()), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<bool> OutlineLayers(
    "outline-layers",
    cl::desc("Compile repeated layers once, as one function called per layer (the default; "
             "=false: every layer inline)"),
    cl::init(LoweringOptions().outlineLayers), cl::sub(perplexityCommand()),
    cl::sub(generateCommand()), cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(benchCommand()),
    cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<unsigned> OptLevel("O", cl::desc("LLVM optimization level (0-3)"), cl::init(3), cl::Prefix,
                           cl::sub(perplexityCommand()), cl::sub(generateCommand()), cl::sub(CalibrateCmd),
                           cl::sub(CompileCmd), cl::sub(benchCommand()), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<std::string> ObjectCache(
    "object-cache",
    cl::desc("Directory of compiled objects, named by a hash of the code: the same code (one "
             "architecture, any weights) loads without compiling again. Empty: no cache. "
             "Default: $QUANT_OPT_CACHE_DIR, $XDG_CACHE_HOME/quant-opt or ~/.cache/quant-opt"),
    cl::value_desc("dir"), cl::sub(perplexityCommand()), cl::sub(generateCommand()), cl::sub(benchCommand()),
    cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<bool> Verbose("v", cl::desc("Print lowering stage timings"), cl::sub(perplexityCommand()),
                      cl::sub(generateCommand()), cl::sub(CalibrateCmd), cl::sub(CompileCmd),
                      cl::sub(benchCommand()), cl::sub(CompareCmd), cl::cat(Cat));

Expected<LoweringOptions> loweringOptions() {
  LoweringOptions options;
  if (Strategy == "fast")
    options.strategy = LoweringStrategy::Fast;
  else if (Strategy == "reference")
    options.strategy = LoweringStrategy::Reference;
  else
    return usage(formatv("--strategy must be 'fast' or 'reference', not '{0}'", Strategy));
  if (OptLevel > 3)
    return usage(formatv("-O must be in [0, 3], got {0}", OptLevel));
  options.compileTimeDecode = !RuntimeDecode;
  options.packed = Packed;
  // The code is compiled for this host: instructions it lacks would not run.
  if (static_cast<int>(Int8DotOpt.getValue()) > static_cast<int>(hostInt8Dot()))
    return usage(formatv("--int8-dot={0}: this host has no such instructions (its best: {1})",
                         mlir::lq::int8DotName(Int8DotOpt), mlir::lq::int8DotName(hostInt8Dot())));
  options.int8Dot = Int8DotOpt;
  options.outlineLayers = OutlineLayers;
  options.dumpVectorized = DumpVectorized;
  if (!Tile.empty()) {
    if (Tile.size() != 3 || llvm::any_of(Tile, [](int64_t t) { return t < 1 || t > 64; }))
      return usage("--tile takes three sizes in [1, 64]: rows,columns,reduction");
    options.tileM = Tile[0];
    options.tileN = Tile[1];
    options.tileK = Tile[2];
  }
  options.log = Verbose ? &errs() : nullptr;
  return options;
}

std::string objectCacheDir() {
  return ObjectCache.getNumOccurrences() ? ObjectCache.getValue() : defaultObjectCache();
}

} // namespace quant_run
