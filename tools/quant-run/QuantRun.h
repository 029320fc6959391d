//===- QuantRun.h - quant-run's shared options and helpers ------*- C++ -*-===//
//
// Private to quant-run: the command-line options (all defined in
// Options.cpp, so they are constructed in order after their sub-commands),
// the helpers every sub-command uses (Support.cpp), and one entry point per
// sub-command (Perplexity.cpp, Generate.cpp, Calibrate.cpp, Compile.cpp,
// Bench.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT_RUN_QUANTRUN_H
#define QUANT_RUN_QUANTRUN_H

#include "lq/Model/Tokenizer.h"
#include "lq/Run/Engine.h"
#include "lq/Run/Lowering.h"
#include "lq/Run/ModelModule.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <memory>
#include <vector>

namespace quant_run {

using namespace llvm;
using namespace lq::run;

//===----------------------------------------------------------------------===//
// Options (Options.cpp)
//===----------------------------------------------------------------------===//

extern cl::SubCommand PerplexityCmd;
extern cl::SubCommand GenerateCmd;
extern cl::SubCommand CalibrateCmd;
extern cl::SubCommand CompileCmd;
extern cl::SubCommand BenchCmd;
extern cl::SubCommand CompareCmd;
extern cl::OptionCategory Cat;
extern cl::opt<std::string> ModelPath;
extern cl::opt<std::string> TokenizerPath;
extern cl::opt<std::string> TextPath;
extern cl::opt<std::string> IdsPath;
extern cl::opt<int64_t> WindowLen;
extern cl::opt<int64_t> MaxWindows;
extern cl::opt<std::string> ComparePath;
extern cl::opt<double> CompareTolerance;
extern cl::opt<int64_t> CalibWindows;
extern cl::opt<std::string> Sequential;
extern cl::opt<std::string> SequentialSteps;
extern cl::opt<unsigned> Threads;
extern cl::opt<std::string> ReferencePath;
extern cl::opt<int64_t> BenchTokens;
extern cl::opt<int64_t> BenchIters;
extern cl::opt<int64_t> BenchSteps;
extern cl::opt<std::string> Prompt;
extern cl::opt<int64_t> MaxTokens;
extern cl::opt<double> Temperature;
extern cl::opt<int64_t> TopK;
extern cl::opt<uint64_t> Seed;
extern cl::opt<int> StopToken;
extern cl::opt<bool> VerifyDecode;
extern cl::opt<bool> PrintIds;
extern cl::opt<std::string> OutputPath;
extern cl::opt<std::string> HeaderPath;
extern cl::opt<bool> EmitText;
extern cl::opt<std::string> Strategy;
extern cl::list<int64_t> Tile;
extern cl::opt<std::string> DumpVectorized;
extern cl::opt<bool> RuntimeDecode;
extern cl::opt<unsigned> OptLevel;
extern cl::opt<std::string> ObjectCache;
extern cl::opt<bool> Verbose;
extern cl::opt<std::string> FunctionName;
extern cl::opt<std::string> InputsPath;
extern cl::opt<int64_t> Samples;
extern cl::opt<std::string> FloatPath;

/// The lowering options of --strategy, --tile, --runtime-decode,
/// --dump-vectorized and -v, checked.
Expected<LoweringOptions> loweringOptions();
/// --object-cache, or the default cache directory when not given.
std::string objectCacheDir();
/// --threads, or one per core.
unsigned threadCount();
/// --window, or the model's context when it is not given (an explicit 0 is
/// an error the evaluators report).
int64_t windowLength(const ModelInfo &info);

//===----------------------------------------------------------------------===//
// Helpers (Support.cpp)
//===----------------------------------------------------------------------===//

/// Prints `e` as quant-run's error and returns the exit status 1.
int fail(Error e);
/// An error for a bad command line.
Error usage(const Twine &msg);
double secondsSince(std::chrono::steady_clock::time_point t0);
/// Calls `call(i)` for i in [0, n), stopping at the first error; the
/// seconds the calls took.
Expected<double> timeCalls(int64_t n, function_ref<Error(int64_t)> call);

Expected<lq::BPETokenizer> loadTokenizer();
/// The token stream to evaluate: --ids, or --text encoded whole.
Expected<std::vector<int32_t>> inputIds();

/// A parsed, checked model module and its compiled form.
struct LoadedModel {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  ModelInfo info;
  std::unique_ptr<ModelRunner> runner;
};
Expected<LoadedModel> loadModel(StringRef path);
/// A parsed, verified module of any kind (no lq.model needed; `info` empty).
Expected<LoadedModel> loadModule(StringRef path);
/// Reads and checks `m`'s lq.model and entry points into `m.info`.
Error checkModelInfo(LoadedModel &m, StringRef path);
/// Lowers `m.module` in place and JIT-compiles it.
Error compileModel(LoadedModel &m, EngineOptions engineOptions = {});

//===----------------------------------------------------------------------===//
// Function inputs (Inputs.cpp)
//===----------------------------------------------------------------------===//

/// Samples from `spec`: one .npy per argument ([S, ...] stacks S samples), or
/// one raw little-endian f32 file of whole samples.
Expected<std::vector<std::vector<HostTensor>>> readInputs(StringRef spec,
                                                          const FunctionSignature &sig);
/// `count` samples uniform in [-1, 1), the same for a seed everywhere.
Expected<std::vector<std::vector<HostTensor>>> randomInputs(const FunctionSignature &sig,
                                                            int64_t count, uint64_t seed);
/// --inputs, or --samples random ones with a warning.
Expected<std::vector<std::vector<HostTensor>>> functionInputs(const FunctionSignature &sig);

//===----------------------------------------------------------------------===//
// Sub-commands: each returns the exit status
//===----------------------------------------------------------------------===//

int runPerplexity();
int runGenerate();
int runCalibrate();
int runCompile();
int runBench();
int runCompare();

} // namespace quant_run

#endif // QUANT_RUN_QUANTRUN_H
