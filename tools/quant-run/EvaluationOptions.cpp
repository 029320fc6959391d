//===- EvaluationOptions.cpp - The evaluation sub-commands' options -------===//

#include "Evaluation.h"

#include "llvm/Support/Threading.h"

namespace quant_run {

cl::SubCommand &perplexityCommand() {
  static cl::SubCommand command(
      "perplexity", "Perplexity of a text with @forward (with @decode where there is none)");
  return command;
}
cl::SubCommand &generateCommand() {
  static cl::SubCommand command("generate", "Generate text from a prompt with @decode");
  return command;
}
cl::SubCommand &benchCommand() {
  static cl::SubCommand command("bench", "Tokens/s of @forward and @decode (and of the "
                                         "reference transformer on the checkpoint)");
  return command;
}

cl::OptionCategory Cat("Options");

cl::opt<std::string> TokenizerPath("tokenizer", cl::desc("tokenizer.json, or a folder holding one"),
                                   cl::sub(perplexityCommand()), cl::sub(generateCommand()),
                                   cl::cat(Cat));
cl::opt<std::string> TextPath("text", cl::desc("UTF-8 text file"), cl::sub(perplexityCommand()),
                              cl::cat(Cat));
cl::opt<std::string> IdsPath("ids",
                             cl::desc("Token ids (whitespace-separated) instead of "
                                      "--text and --tokenizer"),
                             cl::value_desc("file"), cl::sub(perplexityCommand()), cl::cat(Cat));
cl::opt<int64_t> WindowLen("window", cl::desc("Window length (default: the model's context)"),
                           cl::init(0), cl::sub(perplexityCommand()), cl::cat(Cat));
cl::opt<int64_t> MaxWindows("max-windows", cl::desc("Score at most N windows (0: all)"),
                            cl::init(0), cl::sub(perplexityCommand()), cl::cat(Cat));
cl::opt<bool> UseDecode("use-decode",
                        cl::desc("Score through @decode, token by token, even where there is "
                                 "@forward (as for a GPU library built with --decode-only)"),
                        cl::sub(perplexityCommand()), cl::cat(Cat));
cl::opt<unsigned> Threads("threads", cl::desc("Windows run concurrently (0: one per core)"),
                          cl::init(0), cl::sub(perplexityCommand()), cl::sub(benchCommand()),
                          cl::cat(Cat));
cl::opt<std::string> ReferencePath("reference",
                                   cl::desc("Checkpoint to time the reference "
                                            "transformer on"),
                                   cl::value_desc("dir|file"), cl::sub(benchCommand()),
                                   cl::cat(Cat));
cl::opt<int64_t> BenchTokens("tokens", cl::desc("@forward sequence length"), cl::init(512),
                             cl::sub(benchCommand()), cl::cat(Cat));
cl::opt<int64_t> BenchIters("iters", cl::desc("@forward calls timed"), cl::init(8),
                            cl::sub(benchCommand()), cl::cat(Cat));
cl::opt<int64_t> BenchSteps("steps", cl::desc("@decode steps timed"), cl::init(128),
                            cl::sub(benchCommand()), cl::cat(Cat));
cl::opt<std::string> Prompt("prompt", cl::desc("Prompt text"), cl::sub(generateCommand()),
                            cl::cat(Cat));
cl::opt<int64_t> MaxTokens("max-tokens", cl::desc("Tokens to generate"), cl::init(64),
                           cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<double> Temperature("temperature", cl::desc("Sampling temperature (0: greedy)"),
                            cl::init(0.0), cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<int64_t> TopK("top-k", cl::desc("Sample among the K most likely (0: all)"), cl::init(0),
                      cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<uint64_t> Seed("seed", cl::desc("Sampling seed (generate); random inputs' seed "
                                       "(calibrate, compare)"),
                       cl::init(0), cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<int> StopToken("stop-token", cl::desc("Stop after generating this id (-1: never)"),
                       cl::init(-1), cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<bool> VerifyDecode("verify",
                           cl::desc("Check @decode's logits against @forward over the same tokens"),
                           cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<std::string> LogitsOut(
    "logits-out",
    cl::desc("Write the ids fed to @decode and the logits it returned at each (binary, see "
             "--logits-ref), to compare runs on other targets"),
    cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<std::string> LogitsRef(
    "logits-ref",
    cl::desc("Compare the logits with a --logits-out file over the positions both fed the same "
             "ids; exit 1 if the largest difference exceeds --logits-rtol of the largest logit"),
    cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<double> LogitsRtol("logits-rtol", cl::desc("Relative logit difference --logits-ref accepts"),
                           cl::init(1e-3), cl::sub(generateCommand()), cl::cat(Cat));
cl::opt<bool> PrintIds("print-ids", cl::desc("Also print the generated ids"),
                       cl::sub(generateCommand()), cl::cat(Cat));

void addOptionsTo(cl::SubCommand &command, std::initializer_list<cl::Option *> options) {
  // Registered again so the parser indexes them under `command` as well.
  for (cl::Option *option : options) {
    option->removeArgument();
    option->addSubCommand(command);
    option->addArgument();
  }
}

unsigned threadCount() {
  return Threads ? Threads : std::max(1u, llvm::hardware_concurrency().compute_thread_count());
}

int64_t windowLength(const ModelInfo &info) {
  return WindowLen.getNumOccurrences() ? (int64_t)WindowLen : info.context;
}

} // namespace quant_run
