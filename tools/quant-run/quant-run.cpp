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
//                        [--shared -o <model.so> [--target cpu|cuda]]
//   quant-run bench      <model> [--reference <checkpoint>] [--tokens N]
//                        [--iters N] [--steps N] [--threads N]
//   quant-run calibrate  <module> [--function F] [--inputs a.npy,... | raw.bin]
//                        [--samples N] [--seed S] -o <out.mlirbc>   (no lq.model)
//   quant-run compare    <quantized module> --float <module> [--function F]
//                        [--inputs a.npy,... | raw.bin] [--samples N] [--seed S]
//   quant-run emit       <module> -o <bundle dir> [--targets cpu,cuda]
//                        [--chips sm_80,sm_90a] [--max-batch N] [--reference-weights]
//
// Every sub-command lowers the module (lq-expand first when it holds lq
// ops) to LLVM and JIT-compiles it, except compile, which writes an object
// or a shared library (which quant-run-aot runs), and emit, which writes
// the quantized linears' kernels and packed weights for other runtimes. This file dispatches;
// QuantRun.h lists the files of the sub-commands, Evaluation.h those shared
// with quant-run-aot.
//
//===----------------------------------------------------------------------===//

#include "QuantRun.h"

#include "llvm/Support/InitLLVM.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace quant_run;

StringRef quant_run::ToolName = "quant-run";

int main(int argc, char **argv) {
  InitLLVM x(argc, argv);
#ifdef __GLIBC__
  // Each @forward call allocates tens of MB of temporaries; keep them on the
  // heap rather than mmap/munmap (and page-fault) them on every call.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  // The evaluation options that calibration and comparison read too.
  addOptionsTo(CalibrateCmd, {&TokenizerPath, &TextPath, &IdsPath, &WindowLen, &Threads, &Seed});
  addOptionsTo(CompareCmd, {&Seed});
  cl::HideUnrelatedOptions(Cat);
  cl::ParseCommandLineOptions(argc, argv, "quant-run: CPU execution of model modules\n");
  if (perplexityCommand())
    return runPerplexity();
  if (generateCommand())
    return runGenerate();
  if (CalibrateCmd)
    return runCalibrate();
  if (CompileCmd)
    return runCompile();
  if (benchCommand())
    return runBench();
  if (CompareCmd)
    return runCompare();
  if (EmitCmd)
    return runEmit();
  errs() << "quant-run: give a sub-command (perplexity, generate, calibrate, compile, bench, compare, "
            "emit); "
            "see --help\n";
  return 1;
}
