//===- Evaluation.h - The evaluation sub-commands of both runners -*- C++ -*-===//
//
// Shared by quant-run (models JIT-compiled from a module) and quant-run-aot
// (models compiled to shared libraries): the perplexity, generate and bench
// sub-commands with their options (EvaluationOptions.cpp) and what they do
// with a loaded lq::runtime::CompiledModel (Evaluation.cpp). Free of MLIR,
// as quant-run-aot links no LLVM or MLIR shared library.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT_RUN_EVALUATION_H
#define QUANT_RUN_EVALUATION_H

#include "lq/Model/Tokenizer.h"
#include "lq/Runtime/CompiledModel.h"
#include "lq/Runtime/Evaluate.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <initializer_list>
#include <vector>

namespace quant_run {

using namespace llvm;
using namespace lq::runtime;

//===----------------------------------------------------------------------===//
// Options (EvaluationOptions.cpp)
//===----------------------------------------------------------------------===//

/// The sub-commands, constructed on first use: the options of other files
/// name them while being constructed themselves.
cl::SubCommand &perplexityCommand();
cl::SubCommand &generateCommand();
cl::SubCommand &benchCommand();
/// The category of every option a tool's --help lists.
extern cl::OptionCategory Cat;

extern cl::opt<std::string> TokenizerPath;
extern cl::opt<std::string> TextPath;
extern cl::opt<std::string> IdsPath;
extern cl::opt<int64_t> WindowLen;
extern cl::opt<int64_t> MaxWindows;
extern cl::opt<bool> UseDecode;
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
extern cl::opt<std::string> LogitsOut;
extern cl::opt<std::string> LogitsRef;
extern cl::opt<double> LogitsRtol;

/// Makes `options` options of `command` too: for a tool's own sub-commands
/// that read some of these (quant-run calibrate); call before parsing.
void addOptionsTo(cl::SubCommand &command, std::initializer_list<cl::Option *> options);

/// --threads, or one per core.
unsigned threadCount();
/// --window, or the model's context when it is not given (an explicit 0 is
/// an error the evaluators report).
int64_t windowLength(const ModelInfo &info);

//===----------------------------------------------------------------------===//
// Helpers and sub-command bodies (Evaluation.cpp)
//===----------------------------------------------------------------------===//

/// The tool's name in its messages (set by its main).
extern StringRef ToolName;

/// Prints `e` as the tool's error and returns the exit status 1.
int fail(Error e);
/// An error for a bad command line.
Error usage(const Twine &msg);
using lq::runtime::secondsSince;
/// Calls `call(i)` for i in [0, n), stopping at the first error; the
/// seconds the calls took.
Expected<double> timeCalls(int64_t n, function_ref<Error(int64_t)> call);

Expected<lq::BPETokenizer> loadTokenizer();
/// The token stream to evaluate: --ids, or --text encoded whole.
Expected<std::vector<int32_t>> inputIds();

/// perplexity: checks the flags and reads the text (before the model loads).
Expected<std::vector<int32_t>> perplexityInput();
/// Scores `ids` per the flags and prints the result (`t0`: when the
/// command started).
Expected<RunPerplexityResult> printPerplexity(const CompiledModel &model,
                                              ArrayRef<int32_t> ids,
                                              std::chrono::steady_clock::time_point t0);

struct GenerationInput {
  lq::BPETokenizer tokenizer;
  std::vector<int32_t> prompt;
};
/// generate: checks the flags, loads the tokenizer and encodes --prompt.
Expected<GenerationInput> generationInput();
/// Generates and prints per the flags; the exit status. `modelName` names
/// the model in messages.
int printGeneration(const CompiledModel &model, GenerationInput &input, StringRef modelName);

/// bench: checks the flags (before the model loads).
Error checkBenchFlags();
/// Times @forward and @decode (and the reference transformer of
/// --reference) and prints the rates; the exit status.
int printBench(const CompiledModel &model);

} // namespace quant_run

#endif // QUANT_RUN_EVALUATION_H
