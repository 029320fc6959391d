//===- Options.cpp - quant-run's command line -------------------------------===//

#include "QuantRun.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Threading.h"

namespace quant_run {

cl::SubCommand PerplexityCmd("perplexity", "Perplexity of a text with @forward");
cl::SubCommand GenerateCmd("generate", "Generate text from a prompt with @decode");
cl::SubCommand CalibrateCmd("calibrate",
                            "Attach calibration statistics (docs/ModelIR.md) to the linear layers");
cl::SubCommand CompileCmd("compile", "Write an object file and a C header");
cl::SubCommand BenchCmd("bench", "Tokens/s of @forward and @decode (and of the reference "
                                 "transformer on the checkpoint)");

cl::SubCommand CompareCmd("compare",
                          "Run a function of a quantized module and of its float module on the "
                          "same inputs and report the output error");

cl::OptionCategory Cat("quant-run options");

cl::opt<std::string> ModelPath(cl::Positional, cl::Required,
                               cl::desc("<model module (.mlir or .mlirbc)>"),
                               cl::sub(PerplexityCmd), cl::sub(GenerateCmd), cl::sub(CalibrateCmd),
                               cl::sub(CompileCmd), cl::sub(BenchCmd), cl::sub(CompareCmd));
cl::opt<std::string> TokenizerPath("tokenizer", cl::desc("tokenizer.json, or a folder holding one"),
                                   cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                                   cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> TextPath("text", cl::desc("UTF-8 text file"), cl::sub(PerplexityCmd),
                              cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> IdsPath("ids",
                             cl::desc("Token ids (whitespace-separated) instead of "
                                      "--text and --tokenizer"),
                             cl::value_desc("file"), cl::sub(PerplexityCmd), cl::sub(CalibrateCmd),
                             cl::cat(Cat));
cl::opt<int64_t> WindowLen("window", cl::desc("Window length (default: the model's context)"),
                           cl::init(0), cl::sub(PerplexityCmd), cl::sub(CalibrateCmd),
                           cl::cat(Cat));
cl::opt<int64_t> MaxWindows("max-windows", cl::desc("Score at most N windows (0: all)"),
                            cl::init(0), cl::sub(PerplexityCmd), cl::cat(Cat));
cl::opt<std::string> ComparePath(
    "compare",
    cl::desc("Also run @forward of this module on the scored windows and report the largest "
             "logit difference relative to the largest logit (function-preservation checks)"),
    cl::value_desc("module"), cl::sub(PerplexityCmd), cl::cat(Cat));
cl::opt<double>
    CompareTolerance("compare-rtol",
                     cl::desc("Relative logit difference --compare accepts (exit 1 beyond)"),
                     cl::init(1e-4), cl::sub(PerplexityCmd), cl::cat(Cat));
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
cl::opt<std::string> SequentialSteps(
    "sequential-steps",
    cl::desc("Steps of --sequential: 'layer' (one per transformer layer, then lm_head) or "
             "'linear' (one per group of linears reading one activation: q/k/v, o, gate/up, "
             "down)"),
    cl::init("layer"), cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<unsigned> Threads("threads", cl::desc("Windows run concurrently (0: one per core)"),
                          cl::init(0), cl::sub(PerplexityCmd), cl::sub(CalibrateCmd),
                          cl::sub(BenchCmd), cl::cat(Cat));
cl::opt<std::string> ReferencePath("reference",
                                   cl::desc("Checkpoint to time the reference "
                                            "transformer on"),
                                   cl::value_desc("dir|file"), cl::sub(BenchCmd), cl::cat(Cat));
cl::opt<int64_t> BenchTokens("tokens", cl::desc("@forward sequence length"), cl::init(512),
                             cl::sub(BenchCmd), cl::cat(Cat));
cl::opt<int64_t> BenchIters("iters", cl::desc("@forward calls timed"), cl::init(8),
                            cl::sub(BenchCmd), cl::cat(Cat));
cl::opt<int64_t> BenchSteps("steps", cl::desc("@decode steps timed"), cl::init(128),
                            cl::sub(BenchCmd), cl::cat(Cat));
cl::opt<std::string> Prompt("prompt", cl::desc("Prompt text"), cl::sub(GenerateCmd), cl::cat(Cat));
cl::opt<int64_t> MaxTokens("max-tokens", cl::desc("Tokens to generate"), cl::init(64),
                           cl::sub(GenerateCmd), cl::cat(Cat));
cl::opt<double> Temperature("temperature", cl::desc("Sampling temperature (0: greedy)"),
                            cl::init(0.0), cl::sub(GenerateCmd), cl::cat(Cat));
cl::opt<int64_t> TopK("top-k", cl::desc("Sample among the K most likely (0: all)"), cl::init(0),
                      cl::sub(GenerateCmd), cl::cat(Cat));
cl::opt<uint64_t> Seed("seed", cl::desc("Sampling seed (generate); random inputs' seed "
                                       "(calibrate, compare)"),
                       cl::init(0), cl::sub(GenerateCmd), cl::sub(CalibrateCmd),
                       cl::sub(CompareCmd), cl::cat(Cat));
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
cl::opt<int> StopToken("stop-token", cl::desc("Stop after generating this id (-1: never)"),
                       cl::init(-1), cl::sub(GenerateCmd), cl::cat(Cat));
cl::opt<bool> VerifyDecode("verify",
                           cl::desc("Check @decode's logits against @forward over the same tokens"),
                           cl::sub(GenerateCmd), cl::cat(Cat));
cl::opt<bool> PrintIds("print-ids", cl::desc("Also print the generated ids"), cl::sub(GenerateCmd),
                       cl::cat(Cat));
cl::opt<std::string> OutputPath("o", cl::desc("Output file"), cl::value_desc("file"),
                                cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<std::string> HeaderPath("header", cl::desc("C header to write"), cl::value_desc("file"),
                                cl::sub(CompileCmd), cl::cat(Cat));
cl::opt<bool> EmitText("emit-text", cl::desc("Write MLIR text instead of bytecode"),
                       cl::sub(CalibrateCmd), cl::cat(Cat));
cl::opt<std::string> Strategy("strategy",
                              cl::desc("Lowering: fast (tiled, vectorized) or "
                                       "reference (plain loops)"),
                              cl::init("fast"), cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                              cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(BenchCmd),
                              cl::sub(CompareCmd), cl::cat(Cat));
cl::list<int64_t> Tile("tile", cl::desc("Fast strategy register tile: rows,columns,reduction"),
                       cl::CommaSeparated, cl::Hidden, cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                       cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(BenchCmd), cl::sub(CompareCmd));
cl::opt<std::string> DumpVectorized("dump-vectorized",
                                    cl::desc("Print the module after tiling and vectorization"),
                                    cl::value_desc("file"), cl::Hidden, cl::sub(PerplexityCmd),
                                    cl::sub(GenerateCmd), cl::sub(CalibrateCmd),
                                    cl::sub(CompileCmd), cl::sub(BenchCmd), cl::sub(CompareCmd));
cl::opt<bool> RuntimeDecode("runtime-decode",
                            cl::desc("Decode quantized weights in the compiled "
                                     "code instead of at compile time"),
                            cl::sub(PerplexityCmd), cl::sub(GenerateCmd), cl::sub(CompileCmd),
                            cl::sub(BenchCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<bool> Packed("packed",
                     cl::desc("Run 2/3/4/8-bit uniform weights packed, dequantized inside the dot "
                              "products (fast strategy; the default, =false: decoded)"),
                     cl::init(LoweringOptions().packed), cl::sub(PerplexityCmd),
                     cl::sub(GenerateCmd), cl::sub(CompileCmd), cl::sub(BenchCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<bool> Vnni("vnni",
                   cl::desc("Packed W4A8 on AVX512-VNNI int8 dot products (default: whether the "
                            "host has AVX512-VNNI; =false: W4A8 decoded, activations fake-quantized)"),
                   cl::init(LoweringOptions().vnni), cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                   cl::sub(CompileCmd), cl::sub(BenchCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<unsigned> OptLevel("O", cl::desc("LLVM optimization level (0-3)"), cl::init(3), cl::Prefix,
                           cl::sub(PerplexityCmd), cl::sub(GenerateCmd), cl::sub(CalibrateCmd),
                           cl::sub(CompileCmd), cl::sub(BenchCmd), cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<std::string> ObjectCache(
    "object-cache",
    cl::desc("Directory of compiled objects, named by a hash of the code: the same code (one "
             "architecture, any weights) loads without compiling again. Empty: no cache. "
             "Default: $QUANT_OPT_CACHE_DIR, $XDG_CACHE_HOME/quant-opt or ~/.cache/quant-opt"),
    cl::value_desc("dir"), cl::sub(PerplexityCmd), cl::sub(GenerateCmd), cl::sub(BenchCmd),
    cl::sub(CompareCmd), cl::cat(Cat));
cl::opt<bool> Verbose("v", cl::desc("Print lowering stage timings"), cl::sub(PerplexityCmd),
                      cl::sub(GenerateCmd), cl::sub(CalibrateCmd), cl::sub(CompileCmd),
                      cl::sub(BenchCmd), cl::sub(CompareCmd), cl::cat(Cat));

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
  options.vnni = Vnni;
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

unsigned threadCount() {
  return Threads ? Threads : std::max(1u, llvm::hardware_concurrency().compute_thread_count());
}

int64_t windowLength(const ModelInfo &info) {
  return WindowLen.getNumOccurrences() ? (int64_t)WindowLen : info.context;
}

} // namespace quant_run
