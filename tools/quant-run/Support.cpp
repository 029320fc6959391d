//===- Support.cpp - helpers of the quant-run sub-commands ------------------===//

#include "QuantRun.h"

#include "mlir/IR/DialectRegistry.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

namespace quant_run {

int fail(Error e) {
  WithColor::error(errs(), "quant-run") << toString(std::move(e)) << "\n";
  return 1;
}
Error usage(const Twine &msg) { return createStringError(inconvertibleErrorCode(), msg); }

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Expected<double> timeCalls(int64_t n, function_ref<Error(int64_t)> call) {
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i)
    if (Error e = call(i))
      return std::move(e);
  return secondsSince(t0);
}

Expected<lq::BPETokenizer> loadTokenizer() {
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

Expected<std::vector<int32_t>> inputIds() {
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
  setKernelThreads(threadCount());
  // The JIT holds its own copy of the code and weights now.
  m.module = nullptr;
  errs() << formatv("compiled ({0} strategy): lowering {1:f2} s, {2} {3:f2} s\n", Strategy,
                    lowerSecs, m.runner->loadedFromCache() ? "object cache" : "LLVM",
                    secondsSince(t0));
  return Error::success();
}

} // namespace quant_run
