//===- quant-run.cpp - CPU execution of model modules ---------------------===//
//
//   quant-run perplexity <model.mlir[bc]> (--tokenizer <file|dir> --text <file>
//                        | --ids <file>) [--window N] [--max-windows N] [--threads N]
//   quant-run generate   <model> --tokenizer <file|dir> --prompt <text>
//                        [--max-tokens N] [--temperature T] [--top-k K] [--seed S]
//                        [--stop-token ID] [--print-ids] [--verify]
//   quant-run calibrate  <model> (--tokenizer <file|dir> --text <file> | --ids <file>)
//                        [--windows N] [--window N] -o <out.mlirbc> [--emit-text]
//   quant-run compile    <model> -o <model.o> [--header <model.h>]
//   quant-run bench      <model> [--reference <checkpoint>] [--tokens N]
//                        [--iters N] [--steps N] [--threads N]
//
// Every sub-command lowers the module (lq-expand first when it holds lq
// ops) to LLVM and JIT-compiles it, except compile, which writes an object.
//
//===----------------------------------------------------------------------===//

#include "lq/Model/Readers.h"
#include "lq/Model/Tokenizer.h"
#include "lq/Model/Transformer.h"
#include "lq/Run/Calibration.h"
#include "lq/Run/Engine.h"
#include "lq/Run/Evaluate.h"
#include "lq/Run/Lowering.h"
#include "lq/Run/ModelModule.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <mutex>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <cmath>

using namespace llvm;
using namespace lq::run;

static cl::SubCommand PerplexityCmd("perplexity", "Perplexity of a text with @forward");
static cl::SubCommand GenerateCmd("generate", "Generate text from a prompt with @decode");
static cl::SubCommand CalibrateCmd(
    "calibrate", "Attach calibration statistics (docs/ModelIR.md) to the linear layers");
static cl::SubCommand CompileCmd("compile", "Write an object file and a C header");
static cl::SubCommand BenchCmd("bench",
                               "Tokens/s of @forward and @decode (and of the reference "
                               "transformer on the checkpoint)");

static cl::OptionCategory Cat("quant-run options");

static cl::opt<std::string> ModelPath(cl::Positional, cl::Required,
                                      cl::desc("<model module (.mlir or .mlirbc)>"),
                                      cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                                      cl::sub(CalibrateCmd), cl::sub(CompileCmd),
                                      cl::sub(BenchCmd));
static cl::opt<std::string> TokenizerPath("tokenizer",
                                          cl::desc("tokenizer.json, or a folder holding one"),
                                          cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                                          cl::sub(CalibrateCmd), cl::cat(Cat));
static cl::opt<std::string> TextPath("text", cl::desc("UTF-8 text file"),
                                     cl::sub(PerplexityCmd), cl::sub(CalibrateCmd),
                                     cl::cat(Cat));
static cl::opt<std::string> IdsPath("ids",
                                    cl::desc("Token ids (whitespace-separated) instead of "
                                             "--text and --tokenizer"),
                                    cl::value_desc("file"), cl::sub(PerplexityCmd),
                                    cl::sub(CalibrateCmd), cl::cat(Cat));
static cl::opt<int64_t> WindowLen("window",
                                  cl::desc("Window length (default: the model's context)"),
                                  cl::init(0), cl::sub(PerplexityCmd), cl::sub(CalibrateCmd),
                                  cl::cat(Cat));
static cl::opt<int64_t> MaxWindows("max-windows", cl::desc("Score at most N windows (0: all)"),
                                   cl::init(0), cl::sub(PerplexityCmd), cl::cat(Cat));
static cl::opt<std::string> ComparePath(
    "compare",
    cl::desc("Also run @forward of this module on the scored windows and report the largest "
             "logit difference relative to the largest logit (function-preservation checks)"),
    cl::value_desc("module"), cl::sub(PerplexityCmd), cl::cat(Cat));
static cl::opt<double> CompareTolerance(
    "compare-rtol", cl::desc("Relative logit difference --compare accepts (exit 1 beyond)"),
    cl::init(1e-4), cl::sub(PerplexityCmd), cl::cat(Cat));
static cl::opt<int64_t> CalibWindows("windows",
                                     cl::desc("Calibration windows (taken from the "
                                              "start of the text)"),
                                     cl::init(16), cl::sub(CalibrateCmd), cl::cat(Cat));
static cl::opt<unsigned> Threads("threads",
                                 cl::desc("Windows run concurrently (0: one per core)"),
                                 cl::init(0), cl::sub(PerplexityCmd), cl::sub(CalibrateCmd),
                                 cl::sub(BenchCmd), cl::cat(Cat));
static cl::opt<std::string> ReferencePath("reference",
                                          cl::desc("Checkpoint to time the reference "
                                                   "transformer on"),
                                          cl::value_desc("dir|file"), cl::sub(BenchCmd),
                                          cl::cat(Cat));
static cl::opt<int64_t> BenchTokens("tokens", cl::desc("@forward sequence length"),
                                    cl::init(512), cl::sub(BenchCmd), cl::cat(Cat));
static cl::opt<int64_t> BenchIters("iters", cl::desc("@forward calls timed"), cl::init(8),
                                   cl::sub(BenchCmd), cl::cat(Cat));
static cl::opt<int64_t> BenchSteps("steps", cl::desc("@decode steps timed"), cl::init(128),
                                   cl::sub(BenchCmd), cl::cat(Cat));
static cl::opt<std::string> Prompt("prompt", cl::desc("Prompt text"), cl::sub(GenerateCmd),
                                   cl::cat(Cat));
static cl::opt<int64_t> MaxTokens("max-tokens", cl::desc("Tokens to generate"),
                                  cl::init(64), cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<double> Temperature("temperature",
                                   cl::desc("Sampling temperature (0: greedy)"),
                                   cl::init(0.0), cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<int64_t> TopK("top-k", cl::desc("Sample among the K most likely (0: all)"),
                             cl::init(0), cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<uint64_t> Seed("seed", cl::desc("Sampling seed"), cl::init(0),
                              cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<int> StopToken("stop-token",
                              cl::desc("Stop after generating this id (-1: never)"),
                              cl::init(-1), cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<bool> VerifyDecode(
    "verify", cl::desc("Check @decode's logits against @forward over the same tokens"),
    cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<bool> PrintIds("print-ids", cl::desc("Also print the generated ids"),
                              cl::sub(GenerateCmd), cl::cat(Cat));
static cl::opt<std::string> OutputPath("o", cl::desc("Output file"), cl::value_desc("file"),
                                       cl::sub(CalibrateCmd), cl::sub(CompileCmd),
                                       cl::cat(Cat));
static cl::opt<std::string> HeaderPath("header", cl::desc("C header to write"),
                                       cl::value_desc("file"), cl::sub(CompileCmd),
                                       cl::cat(Cat));
static cl::opt<bool> EmitText("emit-text", cl::desc("Write MLIR text instead of bytecode"),
                              cl::sub(CalibrateCmd), cl::cat(Cat));
static cl::opt<std::string> Strategy("strategy",
                                     cl::desc("Lowering: fast (tiled, vectorized) or "
                                              "reference (plain loops)"),
                                     cl::init("fast"), cl::sub(PerplexityCmd),
                                     cl::sub(GenerateCmd), cl::sub(CalibrateCmd),
                                     cl::sub(CompileCmd), cl::sub(BenchCmd), cl::cat(Cat));
static cl::list<int64_t> Tile("tile",
                             cl::desc("Fast strategy register tile: rows,columns,reduction"),
                             cl::CommaSeparated, cl::Hidden, cl::sub(PerplexityCmd),
                             cl::sub(GenerateCmd), cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(BenchCmd));
static cl::opt<std::string> DumpVectorized(
    "dump-vectorized", cl::desc("Print the module after tiling and vectorization"),
    cl::value_desc("file"), cl::Hidden, cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
    cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(BenchCmd));
static cl::opt<bool> RuntimeDecode("runtime-decode",
                                   cl::desc("Decode quantized weights in the compiled "
                                            "code instead of at compile time"),
                                   cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                                   cl::sub(CompileCmd), cl::sub(BenchCmd), cl::cat(Cat));
static cl::opt<unsigned> OptLevel("O", cl::desc("LLVM optimization level (0-3)"),
                                  cl::init(3), cl::Prefix, cl::sub(PerplexityCmd),
                                  cl::sub(GenerateCmd), cl::sub(CalibrateCmd),
                                  cl::sub(CompileCmd), cl::sub(BenchCmd), cl::cat(Cat));
static cl::opt<bool> Verbose("v", cl::desc("Print lowering stage timings"),
                             cl::sub(PerplexityCmd), cl::sub(GenerateCmd),
                             cl::sub(CalibrateCmd), cl::sub(CompileCmd), cl::sub(BenchCmd), cl::cat(Cat));

static int fail(Error e) {
  WithColor::error(errs(), "quant-run") << toString(std::move(e)) << "\n";
  return 1;
}
static Error usage(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

static double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

static Expected<LoweringOptions> loweringOptions() {
  LoweringOptions options;
  if (Strategy == "fast")
    options.strategy = LoweringStrategy::Fast;
  else if (Strategy == "reference")
    options.strategy = LoweringStrategy::Reference;
  else
    return usage(formatv("--strategy must be 'fast' or 'reference', not '{0}'", Strategy));
  options.compileTimeDecode = !RuntimeDecode;
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

static Expected<lq::BPETokenizer> loadTokenizer() {
  if (TokenizerPath.empty())
    return usage("--tokenizer is required (tokenizer.json or its folder)");
  SmallString<256> path(TokenizerPath);
  if (sys::fs::is_directory(path))
    sys::path::append(path, "tokenizer.json");
  return lq::BPETokenizer::fromFile(path);
}

static Expected<std::vector<int32_t>> readIdsFile() {
  auto buf = MemoryBuffer::getFile(IdsPath, /*IsText=*/true);
  if (!buf)
    return usage(formatv("cannot read '{0}': {1}", IdsPath, buf.getError().message()));
  std::vector<int32_t> ids;
  for (StringRef rest = (*buf)->getBuffer();;) {
    auto [word, tail] = getToken(rest);
    rest = tail;
    if (word.empty())
      break;
    int32_t id;
    if (word.getAsInteger(10, id) || id < 0)
      return usage(formatv("{0}: not a token id: '{1}'", IdsPath, word));
    ids.push_back(id);
  }
  if (ids.empty())
    return usage(formatv("the id file '{0}' holds no ids", IdsPath));
  return ids;
}

static Expected<std::vector<int32_t>> encodeTextFile(const lq::BPETokenizer &tok) {
  if (TextPath.empty())
    return usage("--text (with --tokenizer) or --ids is required");
  auto buf = MemoryBuffer::getFile(TextPath, /*IsText=*/true);
  if (!buf)
    return usage(formatv("cannot read '{0}': {1}", TextPath, buf.getError().message()));
  if ((*buf)->getBufferSize() == 0)
    return usage(formatv("the text file '{0}' is empty", TextPath));
  return tok.encode((*buf)->getBuffer());
}

/// The token stream to evaluate: --ids, or --text encoded whole.
static Expected<std::vector<int32_t>> inputIds() {
  if (!IdsPath.empty()) {
    if (!TextPath.empty())
      return usage("give either --ids or --text, not both");
    return readIdsFile();
  }
  auto tok = loadTokenizer();
  if (!tok)
    return tok.takeError();
  return encodeTextFile(*tok);
}

namespace {
/// A parsed, checked model module and its compiled form.
struct LoadedModel {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  ModelInfo info;
  std::unique_ptr<ModelRunner> runner;
};
} // namespace

static Expected<LoadedModel> loadModel(StringRef path = ModelPath) {
  LoadedModel m;
  mlir::DialectRegistry registry;
  registerRunDialects(registry);
  // Lowering runs single-threaded: the machine's cores go to execution.
  m.context = std::make_unique<mlir::MLIRContext>(registry,
                                                  mlir::MLIRContext::Threading::DISABLED);
  m.context->loadAllAvailableDialects();
  auto t0 = std::chrono::steady_clock::now();
  auto module = loadModelModule(*m.context, path);
  if (!module)
    return module.takeError();
  m.module = std::move(*module);
  auto info = readModelInfo(*m.module, ModelPath);
  if (!info)
    return info.takeError();
  m.info = *info;
  errs() << formatv("model: {0} layers, dim {1}, heads {2}/{3}, vocab {4}, context {5}; "
                    "parsed in {6:f2} s\n",
                    m.info.layers, m.info.dim, m.info.heads, m.info.kvHeads, m.info.vocab,
                    m.info.context, secondsSince(t0));
  return std::move(m);
}

/// Lowers `m.module` in place and JIT-compiles it.
static Error compileModel(LoadedModel &m, EngineOptions engineOptions = {}) {
  auto options = loweringOptions();
  if (!options)
    return options.takeError();
  auto t0 = std::chrono::steady_clock::now();
  if (Error e = lowerToLLVMDialect(*m.module, *options))
    return e;
  double lowerSecs = secondsSince(t0);
  t0 = std::chrono::steady_clock::now();
  engineOptions.optLevel = OptLevel;
  auto runner = ModelRunner::create(*m.module, m.info, engineOptions);
  if (!runner)
    return runner.takeError();
  m.runner = std::move(*runner);
  // The JIT holds its own copy of the code and weights now.
  m.module = nullptr;
  errs() << formatv("compiled ({0} strategy): lowering {1:f2} s, LLVM {2:f2} s\n",
                    Strategy, lowerSecs, secondsSince(t0));
  return Error::success();
}

static unsigned threadCount() {
  return Threads ? Threads : std::max(1u, llvm::hardware_concurrency().compute_thread_count());
}

/// --window, or the model's context when it is not given (an explicit 0 is
/// an error the evaluators report).
static int64_t windowLength(const ModelInfo &info) {
  return WindowLen.getNumOccurrences() ? (int64_t)WindowLen : info.context;
}

static int runPerplexity() {
  auto t0 = std::chrono::steady_clock::now();
  auto ids = inputIds();
  if (!ids)
    return fail(ids.takeError());
  errs() << formatv("text: {0} tokens, read in {1:f2} s\n", ids->size(), secondsSince(t0));
  auto m = loadModel();
  if (!m)
    return fail(m.takeError());
  if (!m->info.hasForward)
    return fail(usage(formatv("{0}: perplexity needs @forward", ModelPath)));
  if (Error e = compileModel(*m))
    return fail(std::move(e));

  RunPerplexityOptions options;
  options.windowLen = windowLength(m->info);
  options.maxWindows = MaxWindows;
  options.threads = threadCount();
  options.progress = &errs();
  auto r = evaluatePerplexity(*m->runner, *ids, options);
  if (!r)
    return fail(r.takeError());
  outs() << formatv("perplexity {0:f4}\n", r->perplexity)
         << formatv("tokens {0} windows {1}/{2} window {3} targets {4} nll {5:f6}\n",
                    ids->size(), r->windowsScored, r->windowsTotal, options.windowLen,
                    r->numTargets, r->totalNLL / r->numTargets)
         << formatv("time {0:f2} s, {1:f0} tokens/s ({2} threads), total {3:f2} s\n",
                    r->seconds, r->numTargets / r->seconds, options.threads,
                    secondsSince(t0));
  if (ComparePath.empty())
    return 0;

  // The same windows through the other module's @forward.
  auto other = loadModel(ComparePath);
  if (!other)
    return fail(other.takeError());
  if (!other->info.hasForward || other->info.vocab != m->info.vocab)
    return fail(usage(formatv("{0}: --compare needs @forward over the same vocabulary",
                              ComparePath)));
  if (Error e = compileModel(*other))
    return fail(std::move(e));
  double maxDiff = 0, maxLogit = 0;
  std::vector<float> a, b;
  for (int64_t w = 0; w < r->windowsScored; ++w) {
    ArrayRef<int32_t> window = ArrayRef(*ids).slice(
        w * options.windowLen,
        std::min<int64_t>(options.windowLen, ids->size() - w * options.windowLen));
    if (Error e = m->runner->forward(window, a))
      return fail(std::move(e));
    if (Error e = other->runner->forward(window, b))
      return fail(std::move(e));
    for (size_t i = 0; i < a.size(); ++i) {
      maxDiff = std::max(maxDiff, (double)std::abs(a[i] - b[i]));
      maxLogit = std::max(maxLogit, (double)std::abs(a[i]));
    }
  }
  double rel = maxDiff / std::max(maxLogit, 1e-30);
  bool ok = rel <= CompareTolerance;
  outs() << formatv("compare: {0} windows: max |diff| {1:e2}, max |logit| {2:f2}, relative "
                    "{3:e2}: {4}\n",
                    r->windowsScored, maxDiff, maxLogit, rel,
                    ok ? "ok" : "beyond the tolerance");
  return ok ? 0 : 1;
}

static int runGenerate() {
  auto tok = loadTokenizer();
  if (!tok)
    return fail(tok.takeError());
  if (Prompt.empty())
    return fail(usage("--prompt is required"));
  auto prompt = tok->encode(Prompt);
  if (!prompt)
    return fail(prompt.takeError());
  auto m = loadModel();
  if (!m)
    return fail(m.takeError());
  if (!m->info.hasDecode)
    return fail(usage(formatv("{0}: generate needs @decode", ModelPath)));
  if (MaxTokens < 1)
    return fail(usage("--max-tokens must be positive"));
  if (Temperature < 0 || TopK < 0)
    return fail(usage("--temperature and --top-k must not be negative"));
  if (Error e = compileModel(*m))
    return fail(std::move(e));

  SamplingOptions sampling;
  sampling.temperature = Temperature;
  sampling.topK = TopK;
  sampling.seed = Seed;
  outs() << Prompt;
  outs().flush();
  // Print as we go; a token may end mid UTF-8 sequence, so decode the whole
  // generation each time and print the new suffix.
  std::vector<int32_t> generated;
  std::string printed;
  auto onToken = [&](int32_t id) {
    generated.push_back(id);
    auto text = tok->decode(generated);
    if (!text) {
      consumeError(text.takeError());
      return;
    }
    if (StringRef(*text).starts_with(printed)) {
      outs() << StringRef(*text).drop_front(printed.size());
      outs().flush();
      printed = std::move(*text);
    }
  };
  auto r = generate(*m->runner, *prompt, MaxTokens, sampling, StopToken, onToken,
                    /*keepLogits=*/VerifyDecode);
  if (!r)
    return fail(r.takeError());
  auto text = tok->decode(r->tokens);
  if (text && StringRef(*text).starts_with(printed))
    outs() << StringRef(*text).drop_front(printed.size());
  outs() << "\n";
  if (PrintIds) {
    outs() << "ids:";
    for (int32_t id : r->tokens)
      outs() << " " << id;
    outs() << "\n";
  }
  outs().flush();
  if (VerifyDecode) {
    if (!m->info.hasForward)
      return fail(usage(formatv("{0}: --verify needs @forward", ModelPath)));
    // Every position fed to @decode, in one @forward call.
    std::vector<int32_t> fed(*prompt);
    fed.insert(fed.end(), r->tokens.begin(), r->tokens.end() - 1);
    std::vector<float> logits;
    if (Error e = m->runner->forward(fed, logits))
      return fail(std::move(e));
    double maxDiff = 0, maxRef = 1;
    for (size_t i = 0; i < logits.size(); ++i) {
      maxDiff = std::max<double>(maxDiff, std::fabs(logits[i] - r->logits[i]));
      maxRef = std::max<double>(maxRef, std::fabs(logits[i]));
    }
    bool ok = maxDiff <= 1e-4 * maxRef;
    errs() << formatv("verify: @decode vs @forward over {0} positions: max |diff| {1:e2} "
                      "(max |logit| {2:f2}): {3}\n",
                      fed.size(), maxDiff, maxRef, ok ? "ok" : "MISMATCH");
    if (!ok)
      return 1;
  }
  errs() << formatv("prompt {0} tokens in {1:f3} s ({2:f1} tokens/s); generated {3} "
                    "tokens in {4:f3} s ({5:f1} tokens/s)\n",
                    prompt->size(), r->promptSeconds,
                    prompt->size() / std::max(r->promptSeconds, 1e-9), r->tokens.size(),
                    r->generateSeconds,
                    r->tokens.size() > 1
                        ? (r->tokens.size() - 1) / std::max(r->generateSeconds, 1e-9)
                        : 0.0);
  return 0;
}

static int runCompile() {
  if (OutputPath.empty())
    return fail(usage("compile needs -o <object file>"));
  auto m = loadModel();
  if (!m)
    return fail(m.takeError());
  auto options = loweringOptions();
  if (!options)
    return fail(options.takeError());
  auto t0 = std::chrono::steady_clock::now();
  if (Error e = lowerToLLVMDialect(*m->module, *options))
    return fail(std::move(e));
  double lowerSecs = secondsSince(t0);
  t0 = std::chrono::steady_clock::now();
  // The header first: if it cannot be written, no object is left behind.
  std::unique_ptr<ToolOutputFile> header;
  if (!HeaderPath.empty()) {
    std::error_code ec;
    header = std::make_unique<ToolOutputFile>(HeaderPath, ec, sys::fs::OF_Text);
    if (ec)
      return fail(usage(formatv("cannot write '{0}': {1}", HeaderPath, ec.message())));
    std::string guard = "LQ_MODEL_";
    for (char c : sys::path::stem(HeaderPath))
      guard += isAlnum(c) ? toUpper(c) : '_';
    writeCHeader(header->os(), m->info, guard + "_H");
  }
  if (Error e = writeObjectFile(*m->module, OutputPath, OptLevel))
    return fail(std::move(e));
  if (header)
    header->keep();
  errs() << formatv("wrote {0}{1}: lowering {2:f2} s, code generation {3:f2} s\n",
                    OutputPath, HeaderPath.empty() ? "" : " and " + HeaderPath, lowerSecs,
                    secondsSince(t0));
  return 0;
}

static int runCalibrate() {
  if (OutputPath.empty())
    return fail(usage("calibrate needs -o <output module>"));
  if (CalibWindows < 1)
    return fail(usage("--windows must be positive"));
  auto t0 = std::chrono::steady_clock::now();
  auto ids = inputIds();
  if (!ids)
    return fail(ids.takeError());
  auto m = loadModel();
  if (!m)
    return fail(m.takeError());
  if (!m->info.hasForward)
    return fail(usage(formatv("{0}: calibrate needs @forward", ModelPath)));
  auto options = loweringOptions();
  if (!options)
    return fail(options.takeError());

  CalibrationOptions calib;
  calib.windowLen = windowLength(m->info);
  calib.windows = CalibWindows;
  calib.threads = threadCount();
  calib.lowering = *options;
  calib.optLevel = OptLevel;
  calib.progress = &errs();
  auto stats = calibrate(*m->module, m->info, *ids, calib);
  if (!stats)
    return fail(stats.takeError());

  std::error_code ec;
  ToolOutputFile out(OutputPath, ec, EmitText ? sys::fs::OF_Text : sys::fs::OF_None);
  if (ec)
    return fail(usage(formatv("cannot write '{0}': {1}", OutputPath, ec.message())));
  if (EmitText) {
    m->module->print(out.os());
  } else if (failed(mlir::writeBytecodeToFile(*m->module, out.os()))) {
    return fail(usage("cannot serialize the calibrated module"));
  }
  out.os().flush();
  if (out.os().has_error())
    return fail(usage(formatv("error writing '{0}'", OutputPath)));
  out.keep();
  errs() << formatv("calibrated {0} linear layers on {1} tokens ({2} windows of {3}); "
                    "wrote {4}; total {5:f2} s\n",
                    stats->layers, stats->tokens, stats->windows, calib.windowLen,
                    OutputPath, secondsSince(t0));
  return 0;
}

/// Deterministic pseudo-random ids, so both implementations see the same.
static std::vector<int32_t> benchIds(int64_t n, int64_t vocab) {
  std::vector<int32_t> ids(n);
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ids[i] = x % vocab;
  }
  return ids;
}

static int runBench() {
  if (BenchTokens < 1 || BenchIters < 1 || BenchSteps < 1)
    return fail(usage("--tokens, --iters and --steps must be positive"));
  unsigned threads = threadCount();
  // The reference's thread pool is sized on first use.
  llvm::parallel::strategy = llvm::hardware_concurrency(threads);
  auto m = loadModel();
  if (!m)
    return fail(m.takeError());
  if (Error e = compileModel(*m))
    return fail(std::move(e));
  const ModelInfo &info = m->info;
  int64_t T = std::min(BenchTokens.getValue(), info.context);
  int64_t steps = std::min(BenchSteps.getValue(), info.context);
  std::vector<int32_t> ids = benchIds(std::max(T, steps), info.vocab);
  ArrayRef<int32_t> window = ArrayRef<int32_t>(ids).take_front(T);

  auto timeIt = [](auto &&fn) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    return secondsSince(t0);
  };
  if (info.hasForward) {
    // One call to warm up (page in weights), then `threads` callers at once.
    std::vector<float> logits;
    if (Error e = m->runner->forward(window, logits))
      return fail(std::move(e));
    Error firstError = Error::success();
    std::mutex mutex;
    double secs = timeIt([&] {
      llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
      for (int64_t i = 0; i < BenchIters; ++i)
        pool.async([&] {
          std::vector<float> out;
          Error e = m->runner->forward(window, out);
          std::lock_guard<std::mutex> lock(mutex);
          if (e && !firstError)
            firstError = std::move(e);
          else
            consumeError(std::move(e));
        });
      pool.wait();
    });
    if (firstError)
      return fail(std::move(firstError));
    outs() << formatv("forward  compiled : {0} x {1} tokens, {2} concurrent calls: {3:f2} s, "
                      "{4:f0} tokens/s\n",
                      BenchIters, T, threads, secs, BenchIters * T / secs);
  }
  if (info.hasDecode) {
    auto state = m->runner->newDecodeState();
    if (!state)
      return fail(state.takeError());
    std::vector<float> logits;
    Error err = Error::success();
    double secs = timeIt([&] {
      for (int64_t i = 0; i < steps && !err; ++i)
        err = m->runner->decode(*state, ids[i], logits);
    });
    if (err)
      return fail(std::move(err));
    outs() << formatv("decode   compiled : {0} steps from position 0: {1:f2} s, {2:f1} tokens/s\n",
                      steps, secs, steps / secs);
  }
  if (ReferencePath.empty())
    return 0;
  auto model = lq::loadModel(ReferencePath);
  if (!model)
    return fail(model.takeError());
  lq::Transformer ref(*model);
  if (ref.config().vocabSize != info.vocab)
    return fail(usage("the reference checkpoint's vocabulary differs from the module's"));
  {
    auto warm = ref.forward(window);
    if (!warm)
      return fail(warm.takeError());
    Error err = Error::success();
    double secs = timeIt([&] {
      for (int64_t i = 0; i < BenchIters && !err; ++i) {
        auto out = ref.forward(window);
        if (!out)
          err = out.takeError();
      }
    });
    if (err)
      return fail(std::move(err));
    outs() << formatv("forward  reference: {0} x {1} tokens, {2} threads per call: {3:f2} s, "
                      "{4:f0} tokens/s\n",
                      BenchIters, T, threads, secs, BenchIters * T / secs);
  }
  {
    Error err = Error::success();
    double secs = timeIt([&] {
      for (int64_t i = 0; i < steps && !err; ++i) {
        auto out = ref.decode(ids[i], i);
        if (!out)
          err = out.takeError();
      }
    });
    if (err)
      return fail(std::move(err));
    outs() << formatv("decode   reference: {0} steps from position 0, {1} threads: {2:f2} s, "
                      "{3:f1} tokens/s\n",
                      steps, threads, secs, steps / secs);
  }
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM x(argc, argv);
#ifdef __GLIBC__
  // Each @forward call allocates tens of MB of temporaries; keep them on the
  // heap rather than mmap/munmap (and page-fault) them on every call.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  cl::HideUnrelatedOptions(Cat);
  cl::ParseCommandLineOptions(argc, argv, "quant-run: CPU execution of model modules\n");
  if (PerplexityCmd)
    return runPerplexity();
  if (GenerateCmd)
    return runGenerate();
  if (CalibrateCmd)
    return runCalibrate();
  if (CompileCmd)
    return runCompile();
  if (BenchCmd)
    return runBench();
  errs() << "quant-run: give a sub-command (perplexity, generate, calibrate, compile, bench); "
            "see --help\n";
  return 1;
}
