//===- QuantRun.h - quant-run's shared options and helpers ------*- C++ -*-===//
//
// Private to quant-run: the command-line options beyond the evaluation
// ones of Evaluation.h (defined in Options.cpp, so they are constructed in
// order after their sub-commands), the helpers of the sub-commands that
// load modules (Support.cpp), and one entry point per sub-command
// (Perplexity.cpp, Generate.cpp, Calibrate.cpp, Compile.cpp, Bench.cpp,
// Compare.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT_RUN_QUANTRUN_H
#define QUANT_RUN_QUANTRUN_H

#include "Evaluation.h"

#include "lq/Run/Engine.h"
#include "lq/Run/Lowering.h"
#include "lq/Run/ModelModule.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include <memory>
#include <vector>

namespace quant_run {

using namespace lq::run;

//===----------------------------------------------------------------------===//
// Options (Options.cpp)
//===----------------------------------------------------------------------===//

extern cl::SubCommand CalibrateCmd;
extern cl::SubCommand CompileCmd;
extern cl::SubCommand CompareCmd;
extern cl::SubCommand EmitCmd;
extern cl::opt<std::string> BundleTargets;
extern cl::opt<std::string> BundleChips;
extern cl::opt<int64_t> BundleMaxBatch;
extern cl::opt<bool> BundleReference;
extern cl::opt<std::string> EmitInput;
extern cl::opt<std::string> EmitMatmul;
extern cl::opt<std::string> EmitQuantize;
extern cl::opt<int64_t> EmitActBits;
extern cl::opt<std::string> ModelPath;
extern cl::opt<std::string> ComparePath;
extern cl::opt<double> CompareTolerance;
extern cl::opt<int64_t> CalibWindows;
extern cl::opt<std::string> Sequential;
extern cl::opt<std::string> SequentialSteps;
extern cl::opt<std::string> KVReconstruct;
extern cl::opt<std::string> FPTLearn;
extern cl::opt<std::string> OutputPath;
extern cl::opt<std::string> HeaderPath;
extern cl::opt<std::string> WeightsPath;
extern cl::opt<bool> EmbedWeights;
extern cl::opt<bool> Shared;
extern cl::opt<bool> DecodeOnly;
extern cl::opt<std::string> Target;
extern cl::opt<std::string> GPUOptions;
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

//===----------------------------------------------------------------------===//
// Helpers (Support.cpp)
//===----------------------------------------------------------------------===//

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
int runEmit();

} // namespace quant_run

#endif // QUANT_RUN_QUANTRUN_H
