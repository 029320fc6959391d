//===- quant-run-aot.cpp - Models compiled ahead of time, without LLVM ----===//
//
//   quant-run-aot perplexity <model.so> (--tokenizer <file|dir> --text <file>
//                            | --ids <file>) [--window N] [--max-windows N]
//                            [--threads N] [--use-decode]
//   quant-run-aot generate   <model.so> --tokenizer <file|dir> --prompt <text>
//                            [--max-tokens N] [--temperature T] [--top-k K] [--seed S]
//                            [--stop-token ID] [--print-ids] [--verify]
//   quant-run-aot bench      <model.so> [--reference <checkpoint>] [--tokens N]
//                            [--iters N] [--steps N] [--threads N]
//
// Each takes --weights <file> where the library's weights are not beside it
// (model.safetensors for model.so).
//
// quant-run's evaluation sub-commands, with the same options, on a shared
// library written by `quant-run compile --shared [--target cpu|cuda]`
// instead of a module: for machines with no LLVM or MLIR (the GPU host).
// It links neither (LLVMSupport statically) and exports the mgpu* CUDA
// runtime that cuda libraries call (when built with the CUDA headers).
//
//===----------------------------------------------------------------------===//

#include "Evaluation.h"

#include "lq/Runtime/SharedLibraryModel.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"

using namespace quant_run;

StringRef quant_run::ToolName = "quant-run-aot";

static cl::opt<std::string> LibraryPath(cl::Positional, cl::Required,
                                        cl::desc("<model library (quant-run compile --shared)>"),
                                        cl::sub(perplexityCommand()), cl::sub(generateCommand()),
                                        cl::sub(benchCommand()));

static cl::opt<std::string>
    WeightsPath("weights",
                cl::desc("The library's weights file (default: the library's path with the "
                         "extension .safetensors, where quant-run compile --shared writes it)"),
                cl::value_desc("file"), cl::sub(perplexityCommand()), cl::sub(generateCommand()),
                cl::sub(benchCommand()));

static Expected<std::unique_ptr<SharedLibraryModel>> loadLibrary() {
  auto t0 = std::chrono::steady_clock::now();
  auto model = SharedLibraryModel::load(LibraryPath, WeightsPath);
  if (!model)
    return model.takeError();
  const ModelInfo &info = (*model)->info();
  errs() << formatv("model: {0} layers, dim {1}, heads {2}/{3}, vocab {4}, context {5}, "
                    "target {6}; loaded in {7:f2} s\n",
                    info.layers, info.dim, info.heads, info.kvHeads, info.vocab, info.context,
                    targetName(info.target), secondsSince(t0));
  return model;
}

static int runPerplexity() {
  auto t0 = std::chrono::steady_clock::now();
  auto ids = perplexityInput();
  if (!ids)
    return fail(ids.takeError());
  auto model = loadLibrary();
  if (!model)
    return fail(model.takeError());
  auto r = printPerplexity(**model, *ids, t0);
  return r ? 0 : fail(r.takeError());
}

static int runGenerate() {
  auto input = generationInput();
  if (!input)
    return fail(input.takeError());
  auto model = loadLibrary();
  if (!model)
    return fail(model.takeError());
  return printGeneration(**model, *input, LibraryPath);
}

static int runBench() {
  if (Error e = checkBenchFlags())
    return fail(std::move(e));
  auto model = loadLibrary();
  if (!model)
    return fail(model.takeError());
  return printBench(**model);
}

int main(int argc, char **argv) {
  InitLLVM x(argc, argv);
  cl::HideUnrelatedOptions(Cat);
  cl::ParseCommandLineOptions(argc, argv,
                              "quant-run-aot: models compiled to shared libraries by "
                              "quant-run compile --shared\n");
  if (perplexityCommand())
    return runPerplexity();
  if (generateCommand())
    return runGenerate();
  if (benchCommand())
    return runBench();
  errs() << "quant-run-aot: give a sub-command (perplexity, generate, bench); see --help\n";
  return 1;
}
