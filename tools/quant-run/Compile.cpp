//===- Compile.cpp - quant-run compile --------------------------------------===//

#include "QuantRun.h"

#include "lq/Runtime/SharedLibraryModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

namespace quant_run {

int runCompile() {
  if (OutputPath.empty())
    return fail(usage(formatv("compile needs -o <{0}>", Shared ? "shared library" : "object file")));
  ModelTarget target;
  if (Target == "cpu")
    target = ModelTarget::CPU;
  else if (Target == "cuda")
    target = ModelTarget::CUDA;
  else
    return fail(usage(formatv("--target must be 'cpu' or 'cuda', not '{0}'", Target)));
  if (target == ModelTarget::CUDA && !Shared)
    return fail(usage("--target cuda writes a shared library: give --shared"));
  if ((!WeightsPath.empty() || EmbedWeights) && !Shared)
    return fail(usage("--weights and --embed-weights go with --shared (an object file carries "
                      "its weights)"));
  if (!WeightsPath.empty() && EmbedWeights)
    return fail(usage("--weights names the weights file that --embed-weights does without"));
  std::string weightsPath;
  if (Shared && !EmbedWeights)
    weightsPath =
        WeightsPath.empty() ? SharedLibraryModel::defaultWeightsPath(OutputPath) : WeightsPath;
  if (weightsPath == OutputPath)
    return fail(usage(formatv("the weights file would overwrite the library '{0}'", OutputPath)));
  if (DecodeOnly && target != ModelTarget::CUDA)
    return fail(usage("--decode-only goes with --target cuda"));
  auto m = loadModel(ModelPath);
  if (!m)
    return fail(m.takeError());
  auto options = loweringOptions();
  if (!options)
    return fail(options.takeError());
  // An object file carries its weights (nothing binds them at load time)
  // and runs on the caller's thread (no OpenMP runtime needed).
  options->externalWeights = false;
  options->threads = false;
  auto t0 = std::chrono::steady_clock::now();
  if (target == ModelTarget::CUDA) {
    // The GPU lowering compiles @forward (prefill, perplexity) and @decode;
    // --decode-only leaves @forward out (a smaller, faster-built library).
    if (!m->info.hasDecode)
      return fail(usage(formatv("{0}: --target cuda needs @decode", ModelPath)));
    if (DecodeOnly) {
      if (auto forward = m->module->lookupSymbol<mlir::func::FuncOp>("forward"))
        forward.erase();
      m->info.hasForward = false;
    }
    m->info.target = ModelTarget::CUDA;
    options->gpuOptions = GPUOptions;
    // A fatbin (cubin + PTX) loads at once on its chip; PTX alone is
    // compiled by the driver at the first load (5 s for the 19M model),
    // but needs no CUDA toolkit here.
    if (!StringRef(GPUOptions).contains("format=")) {
      if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
        // The toolkit of that ptxas also gives libdevice (the kernels' math
        // functions), wherever CUDA_HOME points.
        StringRef toolkit = llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas));
        options->gpuOptions += " format=fatbin";
        if (!StringRef(GPUOptions).contains("toolkit="))
          options->gpuOptions += (" toolkit=" + toolkit).str();
        llvm::errs() << "kernels: fatbin (" << *ptxas << ")\n";
      } else {
        llvm::errs() << "kernels: PTX, compiled by the driver at load (no ptxas on PATH for a "
                        "fatbin)\n";
      }
    }
    if (Error e = lowerToGPU(*m->module, *options))
      return fail(std::move(e));
  } else if (Error e = lowerToLLVMDialect(*m->module, *options)) {
    return fail(std::move(e));
  }
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
  if (Error e = Shared ? writeSharedLibrary(*m->module, m->info, OutputPath, OptLevel,
                                            weightsPath)
                       : writeObjectFile(*m->module, OutputPath, OptLevel))
    return fail(std::move(e));
  if (header)
    header->keep();
  errs() << formatv("wrote {0}{1}{2}: lowering {3:f2} s, code generation {4:f2} s\n", OutputPath,
                    weightsPath.empty() ? "" : ", " + weightsPath,
                    HeaderPath.empty() ? "" : " and " + HeaderPath, lowerSecs, secondsSince(t0));
  return 0;
}

} // namespace quant_run
