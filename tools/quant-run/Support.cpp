//===- Support.cpp - loading and compiling modules for quant-run ----------===//

#include "QuantRun.h"

#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/FormatVariadic.h"

namespace quant_run {

Expected<LoadedModel> loadModule(StringRef path) {
  LoadedModel m;
  mlir::DialectRegistry registry;
  registerRunDialects(registry);
  // Lowering runs single-threaded: the machine's cores go to execution.
  m.context = std::make_unique<mlir::MLIRContext>(registry, mlir::MLIRContext::Threading::DISABLED);
  m.context->loadAllAvailableDialects();
  auto module = loadModelModule(*m.context, path);
  if (!module)
    return module.takeError();
  m.module = std::move(*module);
  return std::move(m);
}

Error checkModelInfo(LoadedModel &m, StringRef path) {
  auto info = readModelInfo(*m.module, path);
  if (!info)
    return info.takeError();
  m.info = *info;
  errs() << formatv("model: {0} layers, dim {1}, heads {2}/{3}, vocab {4}, context {5}\n",
                    m.info.layers, m.info.dim, m.info.heads, m.info.kvHeads, m.info.vocab,
                    m.info.context);
  return Error::success();
}

Expected<LoadedModel> loadModel(StringRef path) {
  auto t0 = std::chrono::steady_clock::now();
  auto m = loadModule(path);
  if (!m)
    return m.takeError();
  if (Error e = checkModelInfo(*m, path))
    return std::move(e);
  errs() << formatv("parsed in {0:f2} s\n", secondsSince(t0));
  return m;
}

Error compileModel(LoadedModel &m, EngineOptions engineOptions) {
  auto options = loweringOptions();
  if (!options)
    return options.takeError();
  // The module is its context's only one: its weights may go once packed.
  options->releaseWeights = true;
  auto t0 = std::chrono::steady_clock::now();
  if (Error e = lowerToLLVMDialect(*m.module, *options))
    return e;
  double lowerSecs = secondsSince(t0);
  t0 = std::chrono::steady_clock::now();
  engineOptions.optLevel = OptLevel;
  engineOptions.objectCache = objectCacheDir();
  auto runner = ModelRunner::create(*m.module, m.info, engineOptions);
  if (!runner)
    return runner.takeError();
  m.runner = std::move(*runner);
  // The module is the context's only one: the weights as loaded (re-packed
  // for the code) can go.
  size_t released = releaseUnreferencedBlobs(*m.module);
  if (Verbose)
    errs() << formatv("released {0:f1} MB of weights as loaded\n", released / 1e6);
  setKernelThreads(threadCount());
  // The JIT holds its own copy of the code and weights now.
  m.module = nullptr;
  errs() << formatv("compiled ({0} strategy): lowering {1:f2} s, {2} {3:f2} s\n", Strategy,
                    lowerSecs, m.runner->loadedFromCache() ? "object cache" : "LLVM",
                    secondsSince(t0));
  return Error::success();
}

} // namespace quant_run
